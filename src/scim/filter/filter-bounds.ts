/**
 * What a SCIM filter may cost, checked before it runs. Identity providers send one to three
 * comparisons (`userName eq "…"`, `id eq "…" and members[value eq "…"]`); the RFC's own
 * examples stay under ten. The bounds leave generous room above that, and past them the
 * answer is 400 invalidFilter naming the bound, so one tenant's filter cannot make the
 * database work for everyone else's time.
 */
import { ScimError } from '../scim-error.js';

/** Characters of filter text. */
export const MAX_FILTER_LENGTH = 4096;
/** Comparisons (attribute operator value, including those inside value paths). */
export const MAX_FILTER_TERMS = 50;
/** Levels of nesting: parentheses, `not`, value paths and alternations of `and` / `or`. */
export const MAX_FILTER_DEPTH = 8;

/** A filter past one of the bounds: 400 invalidFilter, whatever resource it is run against. */
export class FilterBoundError extends ScimError {
  constructor(what: string) {
    super(400, 'invalidFilter', what);
  }
}

export function filterTooCostly(what: string): FilterBoundError {
  return new FilterBoundError(what);
}

/** The deepest parenthesis or bracket nesting of the text (outside strings), stopping past the bound. */
export function bracketDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
    } else if (c === '(' || c === '[') {
      deepest = Math.max(deepest, ++depth);
      if (deepest > MAX_FILTER_DEPTH) return deepest;
    } else if (c === ')' || c === ']') {
      depth--;
    }
  }
  return deepest;
}
