/**
 * Rows written from one JSON parameter on PostgreSQL: `INSERT ... SELECT FROM
 * json_populate_recordset(NULL::table, $n)`, each value typed by its table's column. One
 * statement text serves any number of rows, so it is prepared once, and a key a row leaves
 * out is NULL (the row builders give every column, null where there is no value).
 */
import type { AuditEvent } from './repositories/audit-events.js';

type Row = Record<string, unknown>;

export const VALUE_COLUMNS = [
  'org_id',
  'user_id',
  'attribute',
  'position',
  'type',
  'value',
  'value_lower',
  'display',
  'primary',
  'sub_attributes',
] as const;

export const AUDIT_COLUMNS = [
  'id',
  'org_id',
  'occurred_at',
  'actor_type',
  'actor_id',
  'actor_label',
  'action',
  'target_type',
  'target_id',
  'target_label',
  'request_id',
  'data',
] as const;

export const EVENT_COLUMNS = ['id', 'org_id', 'type', 'occurred_at', 'subject_user_id', 'data'] as const;

export const CHANGE_COLUMNS = [
  'org_id',
  'user_id',
  'user_name',
  'occurred_at',
  'change',
  'cause',
  'request_id',
] as const;

function columnList(columns: readonly string[]): string {
  return columns.map((c) => `"${c}"`).join(', ');
}

/** INSERT of the JSON array bound as `:name` into `table`'s `columns`, when `condition` (SQL) holds, if given. */
export function insertFromJson(table: string, columns: readonly string[], name: string, condition?: string): string {
  const list = columnList(columns);
  return `INSERT INTO ${table} (${list}) SELECT ${list} FROM json_populate_recordset(NULL::${table}, CAST(:${name} AS json))${
    condition ? `\n      WHERE ${condition}` : ''
  }`;
}

/** The row builders give jsonb columns as JSON text (for Knex); json_populate_record wants them as JSON values. */
export function asJsonColumns(row: Row): Row {
  const out = { ...row };
  for (const column of ['extensions', 'sub_attributes']) {
    if (typeof out[column] === 'string') out[column] = JSON.parse(out[column]);
  }
  return out;
}

/** An audit event as its audit_events row in JSON (its data a JSON value, for the jsonb column). */
export function auditJsonRow(a: AuditEvent): Row {
  return {
    id: a.id,
    org_id: a.orgId,
    occurred_at: a.occurredAt,
    actor_type: a.actorType,
    actor_id: a.actorId,
    actor_label: a.actorLabel,
    action: a.action,
    target_type: a.targetType,
    target_id: a.targetId,
    target_label: a.targetLabel,
    request_id: a.requestId,
    data: a.data,
  };
}
