/**
 * Parses a SCIM filter (RFC 7644 §3.4.2.2) into an AST with scim2-parse-filter, which
 * keeps value paths, nesting, `not`, escapes and URN paths (scimmy's own Filter loses
 * value-path semantics and mis-handles `not (a and b)`). One extension is handled here:
 * Entra's `emails[type eq "work"].value eq "x"` (a value path followed by a sub-attribute)
 * is rewritten to `emails[type eq "work" and value eq "x"]`, so both conditions apply to
 * the same element. Any parse failure is a 400 invalidFilter.
 */
import { parse, type Filter } from 'scim2-parse-filter';
import { ScimError } from '../scim-error.js';
import { MAX_FILTER_DEPTH, MAX_FILTER_LENGTH, bracketDepth, filterTooCostly } from './filter-bounds.js';

export type { Filter };

/** Reads a comparison value starting at `i` (quoted string, or a bare word); returns its end. */
function valueEnd(s: string, i: number): number {
  if (s[i] === '"') {
    let j = i + 1;
    while (j < s.length && s[j] !== '"') j += s[j] === '\\' ? 2 : 1;
    return Math.min(j + 1, s.length);
  }
  let j = i;
  while (j < s.length && !/[\s()\]]/.test(s[j]!)) j++;
  return j;
}

/** Rewrites every `path[inner].sub op value` into `path[(inner) and sub op value]`. */
export function rewriteValuePathSubAttributes(input: string): string {
  let s = input;
  for (let guard = 0; guard < 100; guard++) {
    let inQuote = false;
    let open = -1;
    let found = false;
    for (let i = 0; i < s.length; i++) {
      const c = s[i];
      if (inQuote) {
        if (c === '\\') i++;
        else if (c === '"') inQuote = false;
        continue;
      }
      if (c === '"') inQuote = true;
      else if (c === '[') open = i;
      else if (c === ']' && open >= 0 && s[i + 1] === '.') {
        const sub = /^\.([A-Za-z][\w$-]*)\s+([A-Za-z]{2})\b/.exec(s.slice(i + 1));
        if (!sub) continue;
        const op = sub[2]!.toLowerCase();
        let end = i + 1 + sub[0].length;
        let comparison = `${sub[1]} ${op}`;
        if (op !== 'pr') {
          const start = end + (/^\s*/.exec(s.slice(end))?.[0].length ?? 0);
          end = valueEnd(s, start);
          comparison += ` ${s.slice(start, end)}`;
        }
        s = `${s.slice(0, open + 1)}(${s.slice(open + 1, i)}) and ${comparison}]${s.slice(end)}`;
        found = true;
        break;
      }
    }
    if (!found) return s;
  }
  return s;
}

export function parseFilter(text: string): Filter {
  if (text.length > MAX_FILTER_LENGTH)
    throw filterTooCostly(`The filter is longer than ${MAX_FILTER_LENGTH} characters, the most one filter may be`);
  if (text.trim().length === 0) throw new ScimError(400, 'invalidFilter', 'Empty filter');
  // Before the parser, which recurses once per level.
  if (bracketDepth(text) > MAX_FILTER_DEPTH)
    throw filterTooCostly(`The filter nests more than ${MAX_FILTER_DEPTH} levels deep, the most one filter may`);
  try {
    return parse(rewriteValuePathSubAttributes(text));
  } catch (error) {
    throw new ScimError(
      400,
      'invalidFilter',
      `Invalid filter: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
