/**
 * A parsed SCIM filter (RFC 7644 §3.4.2.2) resolved into a directory filter: attribute paths
 * (case-insensitive, with or without their schema URN, §3.10) become the directory's
 * attribute names through an allowlist, values are typed against the attribute (strings,
 * booleans, xsd:dateTime instants), and the bounds of filter-bounds.ts are enforced. Anything
 * unknown, mistyped or too costly is 400 invalidFilter; no text of the filter ever reaches
 * SQL, which the store writes from the resolved filter alone.
 */
import {
  GROUP_ATTRIBUTES,
  USER_ATTRIBUTES,
  USER_COLLECTIONS,
  elementAttributes,
  type AttributeSpec,
  type ElementAttribute,
  type ElementFilter,
  type FilterOperator,
  type FilterValue,
  type GroupAttribute,
  type GroupCollection,
  type GroupFilter,
  type Logical,
  type UserAttribute,
  type UserCollection,
  type UserFilter,
} from '../../domain/directory-filter.js';
import { ScimError } from '../scim-error.js';
import { URN } from '../urns.js';
import { MAX_FILTER_DEPTH, MAX_FILTER_TERMS, filterTooCostly } from './filter-bounds.js';
import { parseDateTime } from './date-time.js';
import type { Filter } from './parse-filter.js';

export type ScimResource = 'User' | 'Group';

/** Where a SCIM attribute path points, for one resource type. */
export type Resolved<A extends string, C extends string> =
  | { readonly kind: 'attribute'; readonly name: A; readonly spec: AttributeSpec }
  | { readonly kind: 'collection'; readonly collection: C; readonly sub: ElementAttribute | undefined }
  | { readonly kind: 'resourceType' };

function invalid(message: string): ScimError {
  return new ScimError(400, 'invalidFilter', message);
}

function stripPrefix(path: string, urn: string): string | undefined {
  const lower = path.toLowerCase();
  const prefix = `${urn.toLowerCase()}:`;
  return lower.startsWith(prefix) ? lower.slice(prefix.length) : undefined;
}

const byLowerName = <A extends string>(attributes: Record<A, AttributeSpec>): Map<string, A> =>
  new Map((Object.keys(attributes) as A[]).map((name) => [name.toLowerCase(), name]));

const USER_NAMES = byLowerName(USER_ATTRIBUTES);
const GROUP_NAMES = byLowerName(GROUP_ATTRIBUTES);
const META_NAMES: Record<string, 'created' | 'lastModified'> = {
  'meta.created': 'created',
  'meta.lastmodified': 'lastModified',
};
const ENTERPRISE: Record<string, UserAttribute> = {
  employeenumber: 'employeeNumber',
  costcenter: 'costCenter',
  organization: 'organization',
  division: 'division',
  department: 'department',
  manager: 'manager.value',
  'manager.value': 'manager.value',
  'manager.displayname': 'manager.displayName',
};
/** Core names that are stored apart from the core's own (enterprise) or not at all. */
const NOT_CORE = new Set([
  'employeenumber',
  'costcenter',
  'organization',
  'division',
  'department',
  'manager.value',
  'manager.displayname',
  'created',
  'lastmodified',
]);
const SUBS: readonly ElementAttribute[] = ['value', 'type', 'display', 'primary'];

function collectionTerm<C extends UserCollection | GroupCollection>(
  collection: C,
  sub: string | undefined,
): Resolved<never, C> | undefined {
  if (sub === undefined) return { kind: 'collection', collection, sub: undefined };
  const found = SUBS.find((s) => s === sub);
  return found && elementAttributes(collection)[found] ? { kind: 'collection', collection, sub: found } : undefined;
}

export function resolveUserPath(path: string): Resolved<UserAttribute, UserCollection> | undefined {
  const enterprise = stripPrefix(path, URN.enterpriseUser);
  if (enterprise !== undefined) {
    const name = ENTERPRISE[enterprise];
    return name ? { kind: 'attribute', name, spec: USER_ATTRIBUTES[name] } : undefined;
  }
  const lower = stripPrefix(path, URN.user) ?? path.toLowerCase();
  if (lower === 'meta.resourcetype') return { kind: 'resourceType' };
  const meta = META_NAMES[lower];
  if (meta) return { kind: 'attribute', name: meta, spec: USER_ATTRIBUTES[meta] };
  const direct = NOT_CORE.has(lower) ? undefined : USER_NAMES.get(lower);
  if (direct) return { kind: 'attribute', name: direct, spec: USER_ATTRIBUTES[direct] };
  const [head, sub, ...rest] = lower.split('.');
  if (rest.length > 0 || head === undefined) return undefined;
  const collection = USER_COLLECTIONS.find((c) => c.toLowerCase() === head);
  return collection ? collectionTerm(collection, sub) : undefined;
}

export function resolveGroupPath(path: string): Resolved<GroupAttribute, GroupCollection> | undefined {
  const lower = stripPrefix(path, URN.group) ?? path.toLowerCase();
  if (lower === 'meta.resourcetype') return { kind: 'resourceType' };
  const meta = META_NAMES[lower];
  if (meta) return { kind: 'attribute', name: meta, spec: GROUP_ATTRIBUTES[meta] };
  const direct = NOT_CORE.has(lower) ? undefined : GROUP_NAMES.get(lower);
  if (direct) return { kind: 'attribute', name: direct, spec: GROUP_ATTRIBUTES[direct] };
  const [head, sub, ...rest] = lower.split('.');
  return head === 'members' && rest.length === 0 ? collectionTerm('members', sub) : undefined;
}

/** The filter's comparison value, typed for the attribute it is compared with. */
function typedValue(spec: AttributeSpec, op: FilterOperator, value: unknown, path: string): FilterValue | undefined {
  if (op === 'pr') return undefined;
  if (value === null) throw invalid(`Comparing ${path} with null is not supported: use "not (${path} pr)"`);
  switch (spec.type) {
    case 'boolean': {
      if (op !== 'eq' && op !== 'ne') throw invalid(`Operator ${op} does not apply to the boolean attribute ${path}`);
      if (typeof value === 'boolean') return { type: 'boolean', value };
      if (typeof value === 'string' && /^(true|false)$/i.test(value))
        return { type: 'boolean', value: value.toLowerCase() === 'true' };
      throw invalid(`${path} is boolean: compare it with true or false`);
    }
    case 'dateTime': {
      if (op === 'co' || op === 'sw' || op === 'ew')
        throw invalid(`Operator ${op} does not apply to the dateTime attribute ${path}`);
      const epochMs = typeof value === 'string' ? parseDateTime(value) : undefined;
      if (epochMs === undefined)
        throw invalid(`${path} is a dateTime: compare it with an xsd:dateTime string such as "2026-01-31T12:00:00Z"`);
      return { type: 'dateTime', epochMs };
    }
    default:
      if (typeof value === 'boolean') throw invalid(`${path} is a string: compare it with a string`);
      return { type: 'string', value: String(value) };
  }
}

const OPERATORS = new Set<string>(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le', 'pr']);

function operatorOf(f: { op: string }): FilterOperator {
  if (!OPERATORS.has(f.op)) throw invalid(`Unknown operator ${f.op}`);
  return f.op as FilterOperator;
}

/** Counts comparisons and nesting while resolving, and refuses past the bounds. */
class Budget {
  private terms = 0;

  comparison(): void {
    if (++this.terms > MAX_FILTER_TERMS)
      throw filterTooCostly(`The filter has more than ${MAX_FILTER_TERMS} comparisons, the most one filter may have`);
  }

  level(depth: number): number {
    if (depth > MAX_FILTER_DEPTH)
      throw filterTooCostly(`The filter nests more than ${MAX_FILTER_DEPTH} levels deep, the most one filter may`);
    return depth;
  }
}

type Compare = Extract<Filter, { attrPath: string; op: string }> & { op: Exclude<string, '[]'> };

/** Resolves and/or/not with `leaf` for everything else; nesting counts once per change of operator. */
function logical<Leaf>(
  f: Filter,
  budget: Budget,
  depth: number,
  parent: string | undefined,
  leaf: (f: Filter, depth: number) => Logical<Leaf>,
): Logical<Leaf> {
  switch (f.op) {
    case 'and':
    case 'or': {
      const d = parent === f.op ? depth : budget.level(depth + 1);
      const filters = (f as { filters: Filter[] }).filters.map((inner) => logical(inner, budget, d, f.op, leaf));
      return { kind: f.op, filters };
    }
    case 'not': {
      const d = budget.level(depth + 1);
      return { kind: 'not', filter: logical((f as { filter: Filter }).filter, budget, d, 'not', leaf) };
    }
    default:
      return leaf(f, depth);
  }
}

function elementFilter<C extends UserCollection | GroupCollection>(
  collection: C,
  f: Filter,
  budget: Budget,
  depth: number,
  parentPath: string,
): ElementFilter {
  return logical(f, budget, depth, undefined, (leaf) => {
    if (leaf.op === '[]') throw invalid('Value paths cannot be nested');
    const c = leaf as Compare;
    budget.comparison();
    const sub = SUBS.find((s) => s === c.attrPath.toLowerCase());
    const spec = sub ? elementAttributes(collection)[sub] : undefined;
    if (!sub || !spec) throw invalid(`Unknown attribute ${c.attrPath} in a filter on ${parentPath}`);
    const op = operatorOf(c);
    const value = typedValue(spec, op, 'compValue' in c ? c.compValue : undefined, `${parentPath}.${c.attrPath}`);
    return { kind: 'compare', attribute: sub, op, ...(value ? { value } : {}) };
  });
}

function resolveWith<A extends string, C extends UserCollection | GroupCollection>(
  filter: Filter,
  resource: ScimResource,
  resolvePath: (path: string) => Resolved<A, C> | undefined,
): Logical<
  | { kind: 'compare'; attribute: A; op: FilterOperator; value?: FilterValue }
  | { kind: 'some'; collection: C; where: ElementFilter }
> {
  const budget = new Budget();
  return logical(filter, budget, 0, undefined, (f, depth) => {
    if (f.op === '[]') {
      const vp = f as Extract<Filter, { op: '[]' }>;
      const target = resolvePath(vp.attrPath);
      if (!target || target.kind !== 'collection' || target.sub !== undefined)
        throw invalid(`${vp.attrPath} is not a multi-valued attribute`);
      const where = elementFilter(target.collection, vp.valFilter, budget, budget.level(depth + 1), vp.attrPath);
      return { kind: 'some', collection: target.collection, where };
    }
    const c = f as Compare;
    budget.comparison();
    const op = operatorOf(c);
    const value = 'compValue' in c ? c.compValue : undefined;
    const target = resolvePath(c.attrPath);
    if (!target) throw invalid(`Unknown or unfilterable attribute: ${c.attrPath}`);
    if (target.kind === 'resourceType') {
      if (op !== 'eq' && op !== 'ne' && op !== 'pr')
        throw invalid(`Operator ${op} does not apply to meta.resourceType`);
      const same = typeof value === 'string' && value.toLowerCase() === resource.toLowerCase();
      return { kind: 'constant', value: op === 'pr' || (op === 'eq' ? same : !same) };
    }
    if (target.kind === 'collection') {
      // `emails co "@x"` compares the elements' values; `emails.type eq "work"` one sub-attribute.
      const sub = target.sub ?? 'value';
      const spec = elementAttributes(target.collection)[sub]!;
      const typed = typedValue(spec, op, value, c.attrPath);
      return {
        kind: 'some',
        collection: target.collection,
        where: { kind: 'compare', attribute: sub, op, ...(typed ? { value: typed } : {}) },
      };
    }
    const typed = typedValue(target.spec, op, value, c.attrPath);
    return { kind: 'compare', attribute: target.name, op, ...(typed ? { value: typed } : {}) };
  });
}

export function resolveUserFilter(filter: Filter): UserFilter {
  return resolveWith(filter, 'User', resolveUserPath);
}

export function resolveGroupFilter(filter: Filter): GroupFilter {
  return resolveWith(filter, 'Group', resolveGroupPath);
}
