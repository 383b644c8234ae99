/**
 * PATCH paths (RFC 7644 §3.5.2): `attrPath`, `valuePath` or `valuePath.subAttr`, with
 * optional schema URN prefixes; and the in-memory evaluation of a value filter against
 * one element (string comparisons ignore case, as the multi-valued sub-attributes they
 * address are caseExact=false).
 */
import { pathSegments } from '../attribute-paths.js';
import { parseFilter, type Filter } from '../filter/parse-filter.js';
import { ScimError } from '../scim-error.js';

export interface PatchPath {
  /** Lower-case attribute segments, e.g. ['name', 'familyname'] or [enterprise URN, 'manager']. */
  readonly attribute: string[];
  readonly filter?: Filter;
  /** Lower-case sub-attribute after a value filter: `emails[type eq "work"].value` → 'value'. */
  readonly sub?: string;
}

export function parsePatchPath(path: string): PatchPath {
  let inQuote = false;
  let open = -1;
  let close = -1;
  for (let i = 0; i < path.length; i++) {
    const c = path[i];
    if (inQuote) {
      if (c === '\\') i++;
      else if (c === '"') inQuote = false;
    } else if (c === '"') inQuote = true;
    else if (c === '[' && open < 0) open = i;
    else if (c === ']') close = i;
  }
  if (open < 0) {
    if (close >= 0 || /[\s"]/.test(path)) throw new ScimError(400, 'invalidPath', `Invalid path: ${path}`);
    return { attribute: pathSegments(path) };
  }
  if (close < open) throw new ScimError(400, 'invalidPath', `Invalid path: ${path}`);
  const rest = path.slice(close + 1);
  if (rest !== '' && !/^\.[A-Za-z][\w$-]*$/.test(rest))
    throw new ScimError(400, 'invalidPath', `Invalid path: ${path}`);
  let filter: Filter;
  try {
    filter = parseFilter(path.slice(open + 1, close));
  } catch {
    throw new ScimError(400, 'invalidPath', `Invalid value filter in path: ${path}`);
  }
  return {
    attribute: pathSegments(path.slice(0, open)),
    filter,
    ...(rest ? { sub: rest.slice(1).toLowerCase() } : {}),
  };
}

type Json = Record<string, unknown>;

function field(element: Json, name: string): unknown {
  const key = Object.keys(element).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : element[key];
}

function norm(v: unknown): unknown {
  return typeof v === 'string' ? v.toLowerCase() : v;
}

/** Whether one element of a multi-valued attribute matches a value filter. */
export function matchesElement(element: unknown, f: Filter): boolean {
  if (typeof element !== 'object' || element === null) {
    return (
      f.op === 'eq' && 'attrPath' in f && f.attrPath.toLowerCase() === 'value' && norm(element) === norm(f.compValue)
    );
  }
  const el = element as Json;
  switch (f.op) {
    case 'and':
      return f.filters.every((x) => matchesElement(el, x));
    case 'or':
      return f.filters.some((x) => matchesElement(el, x));
    case 'not':
      return !matchesElement(el, f.filter);
    case '[]':
      return false;
    case 'pr': {
      const v = field(el, f.attrPath);
      return v !== undefined && v !== null && v !== '';
    }
    default: {
      const v = norm(field(el, f.attrPath));
      const c = norm(f.compValue);
      switch (f.op) {
        case 'eq':
          return v === c;
        case 'ne':
          return v !== c;
        case 'co':
          return typeof v === 'string' && typeof c === 'string' && v.includes(c);
        case 'sw':
          return typeof v === 'string' && typeof c === 'string' && v.startsWith(c);
        case 'ew':
          return typeof v === 'string' && typeof c === 'string' && v.endsWith(c);
        case 'gt':
          return v !== undefined && c !== null && (v as string) > (c as string);
        case 'ge':
          return v !== undefined && c !== null && (v as string) >= (c as string);
        case 'lt':
          return v !== undefined && c !== null && (v as string) < (c as string);
        case 'le':
          return v !== undefined && c !== null && (v as string) <= (c as string);
        default:
          return false;
      }
    }
  }
}

/** The `eq` terms of an `and`-only filter, as the element they describe (to create one that does not exist yet). */
export function elementFromFilter(f: Filter): Json | undefined {
  if (f.op === 'eq') return { [f.attrPath]: f.compValue };
  if (f.op === 'and') {
    const parts = f.filters.map(elementFromFilter);
    if (parts.some((p) => p === undefined)) return undefined;
    return Object.assign({}, ...parts) as Json;
  }
  return undefined;
}
