/**
 * Translates a parsed SCIM filter into one parametrised SQL condition that behaves the
 * same on PostgreSQL and SQLite. Attribute names go through the allowlist in
 * attributes.ts and become quoted identifiers; every value is a bound parameter; nothing
 * from the filter text is ever spliced into SQL.
 *
 * Semantics: each comparison is two-valued (an absent attribute makes it false, never
 * NULL), so `not` and `ne` treat absence as SCIM does. A multi-valued attribute matches
 * when any element does; inside a value path (`emails[type eq "work" and value co "@x"]`)
 * every condition applies to the same element. caseExact=false attributes compare folded
 * values (stored folded for userName, emails and group names).
 */
import { foldCase } from '../../domain/directory.js';
import type { Condition } from '../../store/repositories/listing.js';
import { ScimError } from '../scim-error.js';
import type { AttrType, ResolvedAttribute, Resolution } from './attributes.js';
import type { Filter } from './parse-filter.js';

type Binding = string | number | boolean;

interface Fragment {
  readonly sql: string;
  readonly bindings: readonly Binding[];
}

const TRUE: Fragment = { sql: '1 = 1', bindings: [] };
const FALSE: Fragment = { sql: '1 = 0', bindings: [] };

export interface FilterTarget {
  readonly alias: 'u' | 'g';
  readonly resolve: (path: string) => Resolution;
}

/** Where the current condition is evaluated: the resource row, or one element of a multi-valued attribute. */
type Scope =
  | { readonly kind: 'resource'; readonly target: FilterTarget }
  | {
      readonly kind: 'element';
      readonly parent: string;
      readonly resolveSub: (sub: string) => ResolvedAttribute | undefined;
    };

interface Operand {
  readonly sql: string;
  readonly ids: readonly string[];
  readonly type: AttrType;
  /** The operand already holds folded text (case-insensitive comparison against a folded value). */
  readonly folded: boolean;
  readonly caseExact: boolean;
}

function invalid(message: string): ScimError {
  return new ScimError(400, 'invalidFilter', message);
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The element table of a multi-valued attribute, joined to the resource row, and its element alias. */
function elementSource(attr: ResolvedAttribute, alias: 'u' | 'g'): Fragment {
  if (attr.kind === 'value') {
    return {
      sql: 'FROM ?? AS e WHERE e.user_id = ?? AND e.attribute = ?',
      bindings: ['directory_user_values', `${alias}.id`, attr.attribute],
    };
  }
  if (attr.kind === 'membership' && attr.resource === 'User') {
    return {
      sql: 'FROM ?? AS e JOIN ?? AS eg ON eg.id = e.group_id WHERE e.user_id = ??',
      bindings: ['group_memberships', 'directory_groups', `${alias}.id`],
    };
  }
  return {
    sql: 'FROM ?? AS e JOIN ?? AS eu ON eu.id = e.user_id WHERE e.group_id = ??',
    bindings: ['group_memberships', 'directory_users', `${alias}.id`],
  };
}

function elementOperand(attr: ResolvedAttribute): Operand {
  if (attr.kind === 'value') {
    switch (attr.sub) {
      case 'value':
        return { sql: '??', ids: ['e.value_lower'], type: 'string', folded: true, caseExact: false };
      case 'primary':
        return { sql: '??', ids: ['e.primary'], type: 'boolean', folded: false, caseExact: true };
      default:
        return { sql: 'lower(??)', ids: [`e.${attr.sub}`], type: 'string', folded: true, caseExact: false };
    }
  }
  if (attr.kind === 'membership') {
    if (attr.sub === 'value') {
      return {
        sql: '??',
        ids: [attr.resource === 'User' ? 'e.group_id' : 'e.user_id'],
        type: 'string',
        folded: false,
        caseExact: true,
      };
    }
    const display = attr.resource === 'User' ? 'eg.display_name_lower' : 'eu.user_name_lower';
    return { sql: '??', ids: [display], type: 'string', folded: true, caseExact: false };
  }
  throw invalid('Unsupported attribute in a value filter');
}

function columnOperand(attr: ResolvedAttribute, alias: 'u' | 'g'): Operand {
  if (attr.kind !== 'column') throw invalid('Unsupported attribute');
  if (attr.folded)
    return { sql: '??', ids: [`${alias}.${attr.folded}`], type: attr.type, folded: true, caseExact: false };
  if (!attr.caseExact && attr.type === 'string') {
    return { sql: 'lower(??)', ids: [`${alias}.${attr.column}`], type: attr.type, folded: true, caseExact: false };
  }
  return { sql: '??', ids: [`${alias}.${attr.column}`], type: attr.type, folded: false, caseExact: attr.caseExact };
}

function comparable(operand: Operand, op: string, value: unknown, path: string): Binding {
  if (value === null) throw invalid(`Comparing ${path} with null is not supported: use "not (${path} pr)"`);
  switch (operand.type) {
    case 'boolean': {
      if (!['eq', 'ne'].includes(op)) throw invalid(`Operator ${op} does not apply to the boolean attribute ${path}`);
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
      throw invalid(`${path} is boolean: compare it with true or false`);
    }
    case 'dateTime': {
      if (['co', 'sw', 'ew'].includes(op))
        throw invalid(`Operator ${op} does not apply to the dateTime attribute ${path}`);
      const time = typeof value === 'string' ? Date.parse(value) : Number.NaN;
      if (Number.isNaN(time)) throw invalid(`${path} is a dateTime: compare it with an xsd:dateTime string`);
      return new Date(time).toISOString();
    }
    default: {
      if (typeof value === 'boolean') throw invalid(`${path} is a string: compare it with a string`);
      const text = String(value);
      return operand.folded ? foldCase(text) : text;
    }
  }
}

function compare(operand: Operand, op: string, value: unknown, path: string): Fragment {
  const e = operand.sql;
  if (op === 'pr') {
    return operand.type === 'string'
      ? { sql: `(${e} IS NOT NULL AND ${e} <> '')`, bindings: [...operand.ids, ...operand.ids] }
      : { sql: `${e} IS NOT NULL`, bindings: [...operand.ids] };
  }
  const v = comparable(operand, op, value, path);
  const both = [...operand.ids, ...operand.ids];
  switch (op) {
    case 'eq':
      return { sql: `(${e} IS NOT NULL AND ${e} = ?)`, bindings: [...both, v] };
    case 'ne':
      return { sql: `(${e} IS NULL OR ${e} <> ?)`, bindings: [...both, v] };
    case 'co':
    case 'sw':
    case 'ew': {
      const text = escapeLike(String(v));
      const pattern = op === 'co' ? `%${text}%` : op === 'sw' ? `${text}%` : `%${text}`;
      return { sql: `(${e} IS NOT NULL AND ${e} LIKE ? ESCAPE '\\')`, bindings: [...both, pattern] };
    }
    case 'gt':
    case 'ge':
    case 'lt':
    case 'le': {
      const sqlOp = { gt: '>', ge: '>=', lt: '<', le: '<=' }[op];
      return { sql: `(${e} IS NOT NULL AND ${e} ${sqlOp} ?)`, bindings: [...both, v] };
    }
    default:
      throw invalid(`Unknown operator ${op}`);
  }
}

function constantCompare(constant: string, op: string, value: unknown): Fragment {
  const v = typeof value === 'string' ? value.toLowerCase() : value;
  const c = constant.toLowerCase();
  switch (op) {
    case 'pr':
      return TRUE;
    case 'eq':
      return v === c ? TRUE : FALSE;
    case 'ne':
      return v !== c ? TRUE : FALSE;
    default:
      throw invalid(`Operator ${op} does not apply to meta.resourceType`);
  }
}

function combine(parts: Fragment[], joiner: 'AND' | 'OR'): Fragment {
  return { sql: `(${parts.map((p) => p.sql).join(` ${joiner} `)})`, bindings: parts.flatMap((p) => p.bindings) };
}

function exists(source: Fragment, condition: Fragment): Fragment {
  return {
    sql: `EXISTS (SELECT 1 ${source.sql} AND ${condition.sql})`,
    bindings: [...source.bindings, ...condition.bindings],
  };
}

function compileComparison(f: Extract<Filter, { attrPath: string }>, scope: Scope): Fragment {
  const op = f.op;
  const value = 'compValue' in f ? f.compValue : undefined;
  const path = f.attrPath;
  if (scope.kind === 'element') {
    const attr = scope.resolveSub(path);
    if (!attr) throw invalid(`Unknown attribute ${path} in a filter on ${scope.parent}`);
    return compare(elementOperand(attr), op, value, `${scope.parent}.${path}`);
  }
  const resolution = scope.target.resolve(path);
  if (!resolution) throw invalid(`Unknown or unfilterable attribute: ${path}`);
  const attr = resolution.kind === 'parent' ? resolution.resolveSub('value') : resolution;
  if (!attr) throw invalid(`Unknown or unfilterable attribute: ${path}`);
  if (attr.kind === 'constant') return constantCompare(attr.value, op, value);
  if (attr.kind === 'column') return compare(columnOperand(attr, scope.target.alias), op, value, path);
  return exists(elementSource(attr, scope.target.alias), compare(elementOperand(attr), op, value, path));
}

function compile(f: Filter, scope: Scope): Fragment {
  switch (f.op) {
    case 'and':
    case 'or':
      return combine(
        f.filters.map((inner) => compile(inner, scope)),
        f.op === 'and' ? 'AND' : 'OR',
      );
    case 'not': {
      const inner = compile(f.filter, scope);
      return { sql: `NOT ${inner.sql.startsWith('(') ? inner.sql : `(${inner.sql})`}`, bindings: inner.bindings };
    }
    case '[]': {
      if (scope.kind === 'element') throw invalid('Value paths cannot be nested');
      const resolution = scope.target.resolve(f.attrPath);
      if (!resolution || resolution.kind !== 'parent') throw invalid(`${f.attrPath} is not a multi-valued attribute`);
      const sample = resolution.resolveSub('value');
      if (!sample) throw invalid(`${f.attrPath} cannot be filtered`);
      const inner = compile(f.valFilter, { kind: 'element', parent: f.attrPath, resolveSub: resolution.resolveSub });
      return exists(elementSource(sample, scope.target.alias), inner);
    }
    default:
      return compileComparison(f, scope);
  }
}

/** The filter as a condition for a repository query on the target's aliased table. */
export function filterToCondition(filter: Filter, target: FilterTarget): Condition {
  const fragment = compile(filter, { kind: 'resource', target });
  return (qb) => {
    qb.whereRaw(fragment.sql, [...fragment.bindings]);
  };
}

/** For tests and logs: the SQL text and bindings of a filter. */
export function filterToSql(filter: Filter, target: FilterTarget): Fragment {
  return compile(filter, { kind: 'resource', target });
}
