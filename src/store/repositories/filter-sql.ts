/**
 * Directory filters (domain/directory-filter.ts) as parametrised SQL that behaves the same on
 * PostgreSQL and SQLite. Attribute names map to columns through the tables below; every
 * value is a bound parameter; nothing of a client's text is ever spliced into SQL.
 *
 * Cost. A collection term (`emails.value eq "…"`, `groups.value eq "…"`) is a condition on
 * another table. With a few of them, each is an EXISTS subquery (an index finds the rows).
 * With more, one EXISTS per term makes PostgreSQL's planning grow faster than the terms
 * (every subquery becomes a join the planner orders), so instead each collection is read
 * once, as one grouped subquery per collection holding a flag per term, joined to the
 * resource: planning and execution grow linearly with the terms.
 *
 * `cost` tells callers what running the filter reads: 'lookup' when an index narrows it to
 * a few rows (an equality on an indexed attribute, at the top), 'scan' when it reads the
 * whole connection; scans are the ones to bound and share fairly (scan-gate.ts).
 */
import type { Knex } from 'knex';
import { foldCase } from '../../domain/directory.js';
import {
  elementAttributes,
  type AttributeSpec,
  type Comparison,
  type ElementFilter,
  type FilterValue,
  type GroupAttribute,
  type GroupCollection,
  type GroupFilter,
  type GroupSortKey,
  type Logical,
  type SortOrder,
  type UserAttribute,
  type UserCollection,
  type UserFilter,
  type UserSortKey,
  GROUP_ATTRIBUTES,
  USER_ATTRIBUTES,
} from '../../domain/directory-filter.js';
import type { OrderTerm } from './listing.js';

type Binding = string | number | boolean;

interface Fragment {
  readonly sql: string;
  readonly bindings: readonly Binding[];
}

const TRUE: Fragment = { sql: '1 = 1', bindings: [] };
const FALSE: Fragment = { sql: '1 = 0', bindings: [] };

/** Collection terms compiled as EXISTS subqueries up to this many; past it, one grouped join per collection. */
export const EXISTS_TERMS_LIMIT = 3;

/**
 * Stored timestamps lie within these years (ISO-8601 text on SQLite, which compares as
 * instants only with four-digit years); a value outside them is before or after them all.
 */
const FIRST_INSTANT = new Date('0000-01-01T00:00:00.000Z').getTime();
const LAST_INSTANT = new Date('9999-12-31T23:59:59.999Z').getTime();

export interface CompiledFilter {
  /** Adds the filter's joins and condition to a query on the resource's aliased table. */
  apply(qb: Knex.QueryBuilder): void;
  readonly cost: 'lookup' | 'scan';
}

export interface CompileOptions {
  /**
   * A SQL function of no arguments evaluated for every row the filter reads, which stops
   * the statement once its deadline has passed (the embedded database's reader threads).
   */
  readonly deadlineCheck?: string;
  /** Collection terms compiled as EXISTS subqueries up to this many (default EXISTS_TERMS_LIMIT; benchmarks compare). */
  readonly existsTermsLimit?: number;
}

interface ColumnSpec {
  readonly column: string;
  /** A column holding the application-folded value, compared for case-insensitive matching. */
  readonly folded?: string;
}

const USER_COLUMNS: Record<UserAttribute, ColumnSpec> = {
  id: { column: 'id' },
  externalId: { column: 'external_id' },
  userName: { column: 'user_name', folded: 'user_name_lower' },
  displayName: { column: 'display_name' },
  nickName: { column: 'nick_name' },
  profileUrl: { column: 'profile_url' },
  title: { column: 'title' },
  userType: { column: 'user_type' },
  preferredLanguage: { column: 'preferred_language' },
  locale: { column: 'locale' },
  timezone: { column: 'timezone' },
  active: { column: 'active' },
  'name.formatted': { column: 'name_formatted' },
  'name.familyName': { column: 'name_family_name' },
  'name.givenName': { column: 'name_given_name' },
  'name.middleName': { column: 'name_middle_name' },
  'name.honorificPrefix': { column: 'name_honorific_prefix' },
  'name.honorificSuffix': { column: 'name_honorific_suffix' },
  employeeNumber: { column: 'employee_number' },
  costCenter: { column: 'cost_center' },
  organization: { column: 'organization' },
  division: { column: 'division' },
  department: { column: 'department' },
  'manager.value': { column: 'manager_value' },
  'manager.displayName': { column: 'manager_display_name' },
  created: { column: 'created_at' },
  lastModified: { column: 'updated_at' },
};

const GROUP_COLUMNS: Record<GroupAttribute, ColumnSpec> = {
  id: { column: 'id' },
  externalId: { column: 'external_id' },
  displayName: { column: 'display_name', folded: 'display_name_lower' },
  created: { column: 'created_at' },
  lastModified: { column: 'updated_at' },
};

/** Attributes with an index that finds a connection's rows by equality. */
const USER_LOOKUPS = new Set<string>(['id', 'externalId', 'userName']);
const GROUP_LOOKUPS = new Set<string>(['id', 'externalId', 'displayName']);

/** What one resource table needs: its alias, columns, and how each collection is stored. */
interface Target<A extends string, C extends string> {
  readonly alias: 'u' | 'g';
  readonly attributes: Record<A, AttributeSpec>;
  readonly columns: Record<A, ColumnSpec>;
  readonly lookups: ReadonlySet<string>;
  /** FROM … WHERE of the collection's element rows (alias `e`), scoped to the org, without correlation. */
  readonly elements: (collection: C) => { from: string; bindings: Binding[]; owner: string };
  /** SQL of an element sub-attribute (`e.value_lower`, `eg.display_name_lower`, …) and whether it holds folded text. */
  readonly elementColumn: (collection: C, sub: string) => { sql: string; folded: boolean };
}

function userElements(collection: UserCollection): { from: string; bindings: Binding[]; owner: string } {
  if (collection === 'groups') {
    return {
      from: 'group_memberships e JOIN directory_groups eg ON eg.id = e.group_id WHERE e.org_id = ?',
      bindings: [],
      owner: 'e.user_id',
    };
  }
  return {
    from: 'directory_user_values e WHERE e.org_id = ? AND e.attribute = ?',
    bindings: [collection],
    owner: 'e.user_id',
  };
}

function userElementColumn(collection: UserCollection, sub: string): { sql: string; folded: boolean } {
  if (collection === 'groups') {
    return sub === 'value' ? { sql: 'e.group_id', folded: false } : { sql: 'eg.display_name_lower', folded: true };
  }
  switch (sub) {
    case 'value':
      return { sql: 'e.value_lower', folded: true };
    case 'primary':
      return { sql: 'e."primary"', folded: false };
    default:
      return { sql: `lower(e.${sub === 'type' ? 'type' : 'display'})`, folded: true };
  }
}

const USERS: Target<UserAttribute, UserCollection> = {
  alias: 'u',
  attributes: USER_ATTRIBUTES,
  columns: USER_COLUMNS,
  lookups: USER_LOOKUPS,
  elements: userElements,
  elementColumn: userElementColumn,
};

const GROUPS: Target<GroupAttribute, GroupCollection> = {
  alias: 'g',
  attributes: GROUP_ATTRIBUTES,
  columns: GROUP_COLUMNS,
  lookups: GROUP_LOOKUPS,
  elements: () => ({
    from: 'group_memberships e JOIN directory_users eu ON eu.id = e.user_id WHERE e.org_id = ?',
    bindings: [],
    owner: 'e.group_id',
  }),
  elementColumn: (_collection, sub) =>
    sub === 'value' ? { sql: 'e.user_id', folded: false } : { sql: 'eu.user_name_lower', folded: true },
};

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** An operand: SQL text and how its values compare. */
interface Operand {
  readonly sql: string;
  readonly type: AttributeSpec['type'];
  /** Holds folded text: compare with the folded value. */
  readonly folded: boolean;
}

function binding(operand: Operand, value: FilterValue): Binding {
  switch (value.type) {
    case 'boolean':
      return value.value;
    case 'dateTime':
      return new Date(value.epochMs).toISOString();
    default:
      return operand.folded ? foldCase(value.value) : value.value;
  }
}

/** A comparison whose instant lies beyond every stored timestamp: decided without reading a value. */
function outOfRange(operand: Operand, op: string, value: FilterValue | undefined): Fragment | undefined {
  if (value?.type !== 'dateTime' || (value.epochMs >= FIRST_INSTANT && value.epochMs <= LAST_INSTANT)) return undefined;
  const later = value.epochMs > LAST_INSTANT; // the value is after every stored time
  const present = { sql: `${operand.sql} IS NOT NULL`, bindings: [] };
  switch (op) {
    case 'eq':
      return FALSE;
    case 'ne':
      return TRUE;
    case 'lt':
    case 'le':
      return later ? present : FALSE;
    default:
      return later ? FALSE : present;
  }
}

function compare(operand: Operand, c: Comparison<string>): Fragment {
  const e = operand.sql;
  if (c.op === 'pr') {
    return operand.type === 'string'
      ? { sql: `(${e} IS NOT NULL AND ${e} <> '')`, bindings: [] }
      : { sql: `${e} IS NOT NULL`, bindings: [] };
  }
  const value = c.value!;
  const decided = outOfRange(operand, c.op, value);
  if (decided) return decided;
  const v = binding(operand, value);
  switch (c.op) {
    case 'eq':
      return { sql: `(${e} IS NOT NULL AND ${e} = ?)`, bindings: [v] };
    case 'ne':
      return { sql: `(${e} IS NULL OR ${e} <> ?)`, bindings: [v] };
    case 'co':
    case 'sw':
    case 'ew': {
      const text = escapeLike(String(v));
      const pattern = c.op === 'co' ? `%${text}%` : c.op === 'sw' ? `${text}%` : `%${text}`;
      return { sql: `(${e} IS NOT NULL AND ${e} LIKE ? ESCAPE '\\')`, bindings: [pattern] };
    }
    default: {
      const sqlOp = { gt: '>', ge: '>=', lt: '<', le: '<=' }[c.op];
      return { sql: `(${e} IS NOT NULL AND ${e} ${sqlOp} ?)`, bindings: [v] };
    }
  }
}

function combine(parts: Fragment[], joiner: 'AND' | 'OR'): Fragment {
  if (parts.length === 1) return parts[0]!;
  return { sql: `(${parts.map((p) => p.sql).join(` ${joiner} `)})`, bindings: parts.flatMap((p) => p.bindings) };
}

function logical<Leaf>(f: Logical<Leaf>, leaf: (l: Leaf) => Fragment): Fragment {
  const node = f as Logical<Leaf> & { kind: string };
  switch (node.kind) {
    case 'and':
    case 'or': {
      const parts = (node as { filters: ReadonlyArray<Logical<Leaf>> }).filters.map((inner) => logical(inner, leaf));
      return combine(parts, node.kind === 'and' ? 'AND' : 'OR');
    }
    case 'not': {
      const inner = logical((node as { filter: Logical<Leaf> }).filter, leaf);
      return { sql: `NOT (${inner.sql})`, bindings: inner.bindings };
    }
    case 'constant':
      return (node as { value: boolean }).value ? TRUE : FALSE;
    default:
      return leaf(f as Leaf);
  }
}

type Leaf<A extends string, C extends string> =
  Comparison<A> | { readonly kind: 'some'; readonly collection: C; readonly where: ElementFilter };

function collectionTerms<A extends string, C extends string>(f: Logical<Leaf<A, C>>): number {
  const node = f as { kind: string; filters?: Array<Logical<Leaf<A, C>>>; filter?: Logical<Leaf<A, C>> };
  if (node.kind === 'some') return 1;
  if (node.filters) return node.filters.reduce((n, inner) => n + collectionTerms(inner), 0);
  return node.filter ? collectionTerms(node.filter) : 0;
}

/** Whether an index narrows the filter to a few rows: an equality on an indexed attribute in every alternative. */
function narrowed<A extends string, C extends string>(
  f: Logical<Leaf<A, C>>,
  lookups: ReadonlySet<string>,
  elementLookups: boolean,
): boolean {
  const node = f as { kind: string } & Record<string, unknown>;
  switch (node.kind) {
    case 'compare':
      return node.op === 'eq' && lookups.has(node.attribute as string);
    case 'some': {
      if (!elementLookups) return false;
      const where = node.where as ElementFilter;
      const valueEq = (w: ElementFilter): boolean =>
        (w.kind === 'compare' && w.attribute === 'value' && w.op === 'eq') ||
        (w.kind === 'and' && w.filters.some(valueEq));
      return valueEq(where);
    }
    case 'and':
      return (node.filters as Array<Logical<Leaf<A, C>>>).some((inner) => narrowed(inner, lookups, elementLookups));
    case 'or':
      return (node.filters as Array<Logical<Leaf<A, C>>>).every((inner) => narrowed(inner, lookups, elementLookups));
    case 'constant':
      return node.value === false;
    default:
      return false;
  }
}

function compileFor<A extends string, C extends string>(
  target: Target<A, C>,
  filter: Logical<Leaf<A, C>>,
  orgId: string,
  options: CompileOptions,
): CompiledFilter {
  const a = target.alias;
  const columnOperand = (name: A): Operand => {
    const spec = target.attributes[name];
    const col = target.columns[name];
    if (col.folded) return { sql: `${a}.${col.folded}`, type: spec.type, folded: true };
    if (!spec.caseExact && spec.type === 'string')
      return { sql: `lower(${a}.${col.column})`, type: spec.type, folded: true };
    return { sql: `${a}.${col.column}`, type: spec.type, folded: false };
  };
  const elementCondition = (collection: C, where: ElementFilter): Fragment =>
    logical(where, (c) => {
      const spec = elementAttributes(collection as UserCollection | GroupCollection)[c.attribute]!;
      const column = target.elementColumn(collection, c.attribute);
      return compare({ sql: column.sql, type: spec.type, folded: column.folded }, c);
    });

  const grouped = collectionTerms(filter) > (options.existsTermsLimit ?? EXISTS_TERMS_LIMIT);
  /** Per collection (grouped mode): its join alias and the flag expressions, in order. */
  const joins = new Map<C, { alias: string; flags: Fragment[] }>();

  const condition = logical(filter, (leaf): Fragment => {
    if (leaf.kind === 'compare') return compare(columnOperand(leaf.attribute), leaf);
    const inner = elementCondition(leaf.collection, leaf.where);
    const source = target.elements(leaf.collection);
    if (!grouped) {
      return {
        sql: `EXISTS (SELECT 1 FROM ${source.from} AND ${source.owner} = ${a}.id AND ${inner.sql})`,
        bindings: [orgId, ...source.bindings, ...inner.bindings],
      };
    }
    let join = joins.get(leaf.collection);
    if (!join) {
      join = { alias: `c${joins.size}`, flags: [] };
      joins.set(leaf.collection, join);
    }
    join.flags.push(inner);
    return { sql: `COALESCE(${join.alias}.f${join.flags.length - 1}, 0) = 1`, bindings: [] };
  });

  const deadline = options.deadlineCheck ? `${options.deadlineCheck} = 1 AND ` : '';
  const joinFragments: Fragment[] = [...joins.entries()].map(([collection, join]) => {
    const source = target.elements(collection);
    const flags = join.flags.map((f, i) => `MAX(CASE WHEN ${f.sql} THEN 1 ELSE 0 END) AS f${i}`).join(', ');
    return {
      sql: `LEFT JOIN (SELECT ${source.owner} AS owner, ${flags} FROM ${source.from.replace(' WHERE ', ` WHERE ${deadline}`)} GROUP BY ${source.owner}) AS ${join.alias} ON ${join.alias}.owner = ${a}.id`,
      bindings: [...join.flags.flatMap((f) => f.bindings), orgId, ...source.bindings],
    };
  });
  const where: Fragment = deadline ? { sql: `${deadline}${condition.sql}`, bindings: condition.bindings } : condition;
  return {
    cost: costOf(filter, target.lookups),
    apply(qb) {
      for (const j of joinFragments) qb.joinRaw(j.sql, [...j.bindings]);
      qb.whereRaw(where.sql, [...where.bindings]);
    },
  };
}

export type FilterCost = CompiledFilter['cost'];

/** Grouped collections read all of the org's elements: only EXISTS terms (few of them) can use their index. */
function costOf<A extends string, C extends string>(f: Logical<Leaf<A, C>>, lookups: ReadonlySet<string>): FilterCost {
  const grouped = collectionTerms(f) > EXISTS_TERMS_LIMIT;
  return narrowed(f, grouped ? new Set() : lookups, !grouped) ? 'lookup' : 'scan';
}

export function userFilterCost(filter: UserFilter): FilterCost {
  return costOf(filter, USER_LOOKUPS);
}

export function groupFilterCost(filter: GroupFilter): FilterCost {
  return costOf(filter, GROUP_LOOKUPS);
}

export function compileUserFilter(filter: UserFilter, orgId: string, options: CompileOptions = {}): CompiledFilter {
  return compileFor(USERS, filter, orgId, options);
}

export function compileGroupFilter(filter: GroupFilter, orgId: string, options: CompileOptions = {}): CompiledFilter {
  return compileFor(GROUPS, filter, orgId, options);
}

const EVERYTHING = { kind: 'constant', value: true } as const;

export const USER_FILTERS = { cost: userFilterCost, compile: compileUserFilter, everything: EVERYTHING };
export const GROUP_FILTERS = { cost: groupFilterCost, compile: compileGroupFilter, everything: EVERYTHING };

/** For tests and logs: the SQL a filter becomes on a bare query of the table. */
export function filterSql(
  db: Knex,
  compiled: CompiledFilter,
  table: 'directory_users as u' | 'directory_groups as g',
): { sql: string; bindings: readonly unknown[] } {
  const qb = db(table).select('id');
  compiled.apply(qb);
  const native = qb.toSQL();
  return { sql: native.sql, bindings: native.bindings };
}

/** ORDER BY term of a user sort key: a column, or a collection's primary (else first) value. */
export function userSortTerm(db: Knex, order: SortOrder<UserSortKey>): OrderTerm {
  const key = order.key;
  if (key in USER_COLUMNS) {
    const col = USER_COLUMNS[key as UserAttribute];
    return { expression: `u.${col.folded ?? col.column}`, direction: order.direction };
  }
  return {
    expression: db.raw(
      '(SELECT s.value_lower FROM directory_user_values s WHERE s.user_id = u.id AND s.attribute = ? ORDER BY s."primary" DESC, s.position LIMIT 1)',
      [key],
    ),
    direction: order.direction,
  };
}

export function groupSortTerm(order: SortOrder<GroupSortKey>): OrderTerm {
  const col = GROUP_COLUMNS[order.key];
  return { expression: `g.${col.folded ?? col.column}`, direction: order.direction };
}
