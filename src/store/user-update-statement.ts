/**
 * A user's PUT or PATCH as two statements on PostgreSQL, neither in a transaction: one read
 * (the user, its values and groups, its recorded access state, whether the org's access
 * history has started), then one write that does everything the transaction would (the
 * row, its values when they changed, the sessions a deactivation ends, the audit event,
 * the outbox events, the access history, the announcement to every instance's caches).
 * What Entra (PATCH active) and Okta (PUT) send for every deactivation then costs two round
 * trips where the transaction took about fifteen.
 *
 * The write is guarded: it locks the user row only if its version is still the one read,
 * and, when it records access history, replaces the recorded state only if it is still the
 * one read (or inserts it only if there was none). If either moved, the statement writes
 * nothing and says so: the caller then runs the transaction. The lock is taken first and
 * the state second, the order the access-history recorder uses, so the two never deadlock.
 * Every row is written from JSON with json_populate_recordset, typed by its table.
 */
import type { Knex } from 'knex';
import type { DirectoryUser } from '../domain/directory.js';
import type { OutboxEvent } from '../events/event-catalog.js';
import { ACCESS_CHANNEL, noticePayload } from './access-change-feed.js';
import { hotRows, hotRowsNamed } from './direct-statement.js';
import type { AuditEvent } from './repositories/audit-events.js';
import {
  decodeGroups,
  decodeUser,
  groupsJsonSql,
  userColumns,
  valueRows,
  valuesJsonSql,
  type Row,
  type UserGroups,
} from './repositories/directory-user-rows.js';
import { toIsoOrNull } from './rows.js';
import {
  asJsonColumns,
  AUDIT_COLUMNS,
  auditJsonRow,
  CHANGE_COLUMNS,
  EVENT_COLUMNS,
  insertFromJson,
  VALUE_COLUMNS,
} from './json-rows.js';
import { eventRow } from './repositories/events.js';

export interface UserForUpdate {
  readonly user: DirectoryUser;
  readonly groups: UserGroups;
  /** The user's recorded access state (undefined: none recorded). */
  readonly accessState: string | undefined;
  /** Whether the org records access history. */
  readonly historyStarted: boolean;
}

/** What the read before an update selects of a user `u` (userForUpdateOfRow reads it). */
export const FOR_UPDATE_COLUMNS = `u.*, ${valuesJsonSql(true)} AS mv, ${groupsJsonSql(true)} AS grp,
      (SELECT s.state FROM user_access_states s WHERE s.user_id = u.id) AS access_state,
      (SELECT o.access_history_since FROM organizations o WHERE o.id = u.org_id) AS history_since`;

const READ_ONE = `SELECT ${FOR_UPDATE_COLUMNS}
    FROM directory_users u WHERE u.org_id = ? AND u.id = ? AND u.connection_id = ?`;

/** The user of the connection with its values, groups and recorded access state; undefined when there is none. */
export async function readUserForUpdate(
  db: Knex,
  orgId: string,
  connectionId: string,
  id: string,
): Promise<UserForUpdate | undefined> {
  const [row] = await hotRows(db, READ_ONE, [orgId, id, connectionId]);
  return row ? userForUpdateOfRow(row) : undefined;
}

/** The read's row (user columns, mv, grp, access_state, history_since) as a UserForUpdate. */
export function userForUpdateOfRow(row: Row): UserForUpdate {
  return {
    user: decodeUser(row),
    groups: decodeGroups(row),
    accessState: (row.access_state as string | null) ?? undefined,
    historyStarted: toIsoOrNull(row.history_since) !== null,
  };
}

/** An access-history entry of the write, as access_changes stores it. */
export interface AccessChangeWrite {
  readonly userName: string;
  readonly change: unknown;
  readonly cause: unknown;
  readonly requestId: string | null;
}

export interface UserUpdateWrite {
  /** The user as it will be (version already bumped). */
  readonly next: DirectoryUser;
  /** The version read: the write happens only if it still stands. */
  readonly readVersion: number;
  readonly valuesChanged: boolean;
  readonly revokeSessions: boolean;
  readonly audit: AuditEvent;
  readonly events: readonly OutboxEvent[];
  /** The access state to record, and the one read (the write happens only if it still stands). */
  readonly access?: {
    readonly before: string | undefined;
    readonly after: string;
    readonly change?: AccessChangeWrite;
  };
  readonly at: string;
}

const texts = new Map<string, string>();

/** The rows of the write are inserted only when the guard held. */
const WRITTEN = 'EXISTS (SELECT 1 FROM ok)';

function statement(
  shape: { values: boolean; sessions: boolean; state: 'none' | 'insert' | 'replace'; nowait: boolean },
  userColumnNames: readonly string[],
): string {
  const key = JSON.stringify(shape);
  const known = texts.get(key);
  if (known) return known;
  const set = userColumnNames
    .filter((c) => c !== 'version' && c !== 'updated_at')
    .map((c) => `"${c}" = x."${c}"`)
    .join(', ');
  const state =
    shape.state === 'none'
      ? ''
      : shape.state === 'insert'
        ? `, state AS (
            INSERT INTO user_access_states (user_id, org_id, state) SELECT id, org_id, :stateAfter FROM locked
            ON CONFLICT (user_id) DO NOTHING RETURNING user_id)`
        : `, state AS (
            UPDATE user_access_states SET state = :stateAfter
             WHERE user_id IN (SELECT id FROM locked) AND state = :stateBefore RETURNING user_id)`;
  const parts = [
    `locked AS (
      SELECT id, org_id FROM directory_users
       WHERE org_id = :orgId AND id = :id AND connection_id = :connectionId AND version = :readVersion
       FOR NO KEY UPDATE${shape.nowait ? ' NOWAIT' : ''})${state}`,
    `ok AS (SELECT id FROM locked${shape.state === 'none' ? '' : ' WHERE EXISTS (SELECT 1 FROM state)'})`,
    `written AS (
      UPDATE directory_users u SET ${set}, version = :version, updated_at = :at
        FROM json_populate_record(NULL::directory_users, CAST(:userRow AS json)) x
       WHERE u.org_id = :orgId AND u.id IN (SELECT id FROM ok) RETURNING u.id)`,
    ...(shape.values
      ? [
          `values_gone AS (DELETE FROM directory_user_values WHERE org_id = :orgId AND user_id IN (SELECT id FROM ok))`,
          `values_new AS (${insertFromJson('directory_user_values', VALUE_COLUMNS, 'valueRows', WRITTEN)})`,
        ]
      : []),
    ...(shape.sessions
      ? [
          `sessions_ended AS (UPDATE sessions SET revoked_at = :at
             WHERE org_id = :orgId AND user_id IN (SELECT id FROM ok) AND revoked_at IS NULL)`,
        ]
      : []),
    `audit AS (${insertFromJson('audit_events', AUDIT_COLUMNS, 'auditRows', WRITTEN)})`,
    `outbox AS (${insertFromJson('events', EVENT_COLUMNS, 'eventRows', WRITTEN)})`,
    ...(shape.state === 'none'
      ? []
      : [`changes AS (${insertFromJson('access_changes', CHANGE_COLUMNS, 'changeRows', WRITTEN)})`]),
    `notice AS (SELECT pg_notify(:channel, :payload) FROM ok)`,
  ];
  const text = `WITH ${parts.join(',\n    ')}
    SELECT (SELECT count(*) FROM written)::int AS written, (SELECT count(*) FROM notice)::int AS announced`;
  texts.set(key, text);
  return text;
}

/** The write's access_changes rows (none, or its one change). */
export function changeRowsOf(w: UserUpdateWrite): Array<Record<string, unknown>> {
  const change = w.access?.change;
  if (!change) return [];
  return [
    {
      org_id: w.next.orgId,
      user_id: w.next.id,
      user_name: change.userName,
      occurred_at: w.at,
      change: JSON.stringify(change.change),
      cause: JSON.stringify(change.cause),
      request_id: change.requestId,
    },
  ];
}

/**
 * Runs the guarded write; false when the user, its version or its recorded access state
 * moved (nothing written). With `nowait`, a user that another transaction has locked fails
 * the statement at once (SQLSTATE 55P03) instead of waiting for it.
 */
export async function writeUserUpdate(
  db: Knex,
  w: UserUpdateWrite,
  options: { nowait?: boolean } = {},
): Promise<boolean> {
  const u = w.next;
  const shape = {
    values: w.valuesChanged,
    sessions: w.revokeSessions,
    state: !w.access ? 'none' : w.access.before === undefined ? 'insert' : 'replace',
    nowait: options.nowait === true,
  } as const;
  const row = asJsonColumns(userColumns(u));
  const bindings: Record<string, unknown> = {
    orgId: u.orgId,
    id: u.id,
    connectionId: u.connectionId,
    readVersion: w.readVersion,
    version: u.version,
    at: w.at,
    userRow: JSON.stringify(row),
    auditRows: JSON.stringify([auditJsonRow(w.audit)]),
    eventRows: JSON.stringify(w.events.map(eventRow)),
    channel: ACCESS_CHANNEL,
    payload: noticePayload(u.orgId, [u.id]),
    ...(shape.values ? { valueRows: JSON.stringify(valueRows(u).map(asJsonColumns)) } : {}),
    ...(w.access ? { stateAfter: w.access.after, changeRows: JSON.stringify(changeRowsOf(w)) } : {}),
    ...(w.access?.before !== undefined ? { stateBefore: w.access.before } : {}),
  };
  const [result] = await hotRowsNamed(db, statement(shape, Object.keys(row)), bindings);
  return Number(result?.written ?? 0) === 1;
}
