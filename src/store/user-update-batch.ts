/**
 * Users' guarded writes (user-update-statement.ts) written together on PostgreSQL: the
 * updates that arrive while one is being written go in the next statement, all at once
 * (batch-turn.ts). When Entra or Okta deactivates people eight at a time, most of what each
 * write costs the database is not its rows: the round trip, the start of a statement of a
 * dozen parts, and the commit with its WAL flush. Writes in one statement share them.
 *
 * Each user is written exactly as alone, under the same guard: only if its version is still
 * the one read (its row locked first, in id order) and its recorded access state still the
 * one read (or still absent). A user whose guard fails is not written, and says so (the
 * caller then runs the transaction); the others are written. What is written in the turn
 * never waits for a lock (rows are locked NOWAIT): a user that a transaction holds fails the
 * statement, which then wrote nothing, and each of its writes runs again on its own, outside
 * the turn, waiting for its lock as usual. Updates of one user never share a statement.
 */
import type { Knex } from 'knex';
import { ACCESS_CHANNEL, noticePayload } from './access-change-feed.js';
import { BatchTurn } from './batch-turn.js';
import { isLostInFlight } from './commit-outcome.js';
import { hotRowsNamed } from './direct-statement.js';
import {
  asJsonColumns,
  AUDIT_COLUMNS,
  auditJsonRow,
  CHANGE_COLUMNS,
  EVENT_COLUMNS,
  VALUE_COLUMNS,
} from './json-rows.js';
import { userColumns, valueRows } from './repositories/directory-user-rows.js';
import { eventRow } from './repositories/events.js';
import { changeRowsOf, writeUserUpdate, type UserUpdateWrite } from './user-update-statement.js';

/** Writes per statement at most. */
const MAX_WRITES = 32;

type Row = Record<string, unknown>;

/**
 * The rows of `:name` ({user, row} items) into `table`, for the users whose guard held. The
 * parameter is read as jsonb, once: as json, PostgreSQL parsed each item's text again for
 * each operator on it (splitting the array, the user, the row, the row's values), and
 * parsing was 29% of its CPU for a batch of deactivations (15% as jsonb). Every jsonb
 * column of these rows comes as a JSON value (not as text), which both read alike.
 */
function rowsOfWritten(table: string, columns: readonly string[], name: string): string {
  const list = columns.map((c) => `"${c}"`).join(', ');
  const selected = columns.map((c) => `r."${c}"`).join(', ');
  return `INSERT INTO ${table} (${list}) SELECT ${selected}
      FROM jsonb_array_elements(CAST(:${name} AS jsonb)) AS e(item)
      CROSS JOIN LATERAL jsonb_populate_record(NULL::${table}, e.item->'row') AS r
      WHERE e.item->>'user' IN (SELECT id FROM ok)`;
}

/** Which of the statement's optional parts a batch needs (the others are left out of its text). */
interface Parts {
  /** Some write records a first access state. */
  readonly insertState: boolean;
  /** Some write replaces a recorded access state. */
  readonly replaceState: boolean;
  /** Some write changes multi-valued attributes. */
  readonly values: boolean;
  /** Some write ends sessions. */
  readonly revoke: boolean;
}

const texts = new Map<string, string>();

/**
 * The statement for the batch's user columns and parts. A part no write of the batch needs
 * is left out rather than run on nothing: PostgreSQL sets up every part of a statement on
 * each run (an insert with ON CONFLICT opens its indexes for it), and a deactivation, say,
 * changes no attribute values.
 */
function statement(userColumnNames: readonly string[], parts: Parts): string {
  const key = `${userColumnNames.join(',')}|${parts.insertState}|${parts.replaceState}|${parts.values}|${parts.revoke}`;
  const known = texts.get(key);
  if (known) return known;
  const set = userColumnNames.map((c) => `"${c}" = x."${c}"`).join(', ');
  const stateNew = `state_new AS (
      INSERT INTO user_access_states (user_id, org_id, state)
      SELECT l.id, l.org_id, k.state_after FROM locked l JOIN k ON k.n = l.n WHERE k.state_mode = 'insert'
      ON CONFLICT (user_id) DO NOTHING RETURNING user_id
    ), `;
  const stateReplaced = `state_replaced AS (
      UPDATE user_access_states s SET state = k.state_after FROM locked l JOIN k ON k.n = l.n
       WHERE k.state_mode = 'replace' AND s.user_id = l.id AND s.state = k.state_before RETURNING s.user_id
    ), `;
  const held = [
    "k.state_mode = 'none'",
    ...(parts.insertState ? ['l.id IN (SELECT user_id FROM state_new)'] : []),
    ...(parts.replaceState ? ['l.id IN (SELECT user_id FROM state_replaced)'] : []),
  ].join(' OR ');
  const values = `values_gone AS (
      DELETE FROM directory_user_values v USING ok JOIN k ON k.n = ok.n
       WHERE k.values_changed AND v.org_id = k.org_id AND v.user_id = ok.id
    ), values_new AS (${rowsOfWritten('directory_user_values', VALUE_COLUMNS, 'values')}
    ), `;
  const sessions = `sessions_ended AS (
      UPDATE sessions s SET revoked_at = k.at FROM ok JOIN k ON k.n = ok.n
       WHERE k.revoke AND s.org_id = k.org_id AND s.user_id = ok.id AND s.revoked_at IS NULL
    ), `;
  const text = `WITH k AS (
      SELECT * FROM json_to_recordset(CAST(:writes AS json)) AS k(n int, org_id text, connection_id text, id text,
        read_version int, state_mode text, state_before text, state_after text, revoke boolean,
        values_changed boolean, at timestamptz)
    ), locked AS (
      SELECT u.id, u.org_id, k.n FROM directory_users u
        JOIN k ON u.org_id = k.org_id AND u.id = k.id AND u.connection_id = k.connection_id AND u.version = k.read_version
      WHERE u.id = ANY (ARRAY(SELECT id FROM k))
      ORDER BY u.id FOR NO KEY UPDATE OF u NOWAIT
    ), ${parts.insertState ? stateNew : ''}${parts.replaceState ? stateReplaced : ''}ok AS (
      SELECT l.id, l.n FROM locked l JOIN k ON k.n = l.n
       WHERE ${held}
    ), written AS (
      UPDATE directory_users u SET ${set}
        FROM json_populate_recordset(NULL::directory_users, CAST(:users AS json)) x
       WHERE u.id = x.id AND u.org_id = x.org_id AND u.id IN (SELECT id FROM ok) RETURNING u.id
    ), ${parts.values ? values : ''}${parts.revoke ? sessions : ''}audit AS (${rowsOfWritten('audit_events', AUDIT_COLUMNS, 'audit')}
    ), outbox AS (${rowsOfWritten('events', EVENT_COLUMNS, 'events')}
    ), changes AS (${rowsOfWritten('access_changes', CHANGE_COLUMNS, 'changes')}
    ), notice AS (
      SELECT pg_notify(:channel, p.payload) FROM json_array_elements_text(CAST(:payloads AS json)) AS p(payload)
       WHERE EXISTS (SELECT 1 FROM ok)
    )
    SELECT k.n, EXISTS (SELECT 1 FROM written w WHERE w.id = k.id) AS written,
      (SELECT count(*) FROM notice)::int AS announced
    FROM k`;
  texts.set(key, text);
  return text;
}

function owned(userId: string, rows: readonly Row[]): Array<{ user: string; row: Row }> {
  return rows.map((row) => ({ user: userId, row }));
}

/** Runs the guarded writes (of distinct users) in one statement: whether each was written, in order. */
export async function writeUserUpdates(db: Knex, writes: readonly UserUpdateWrite[]): Promise<boolean[]> {
  const users = writes.map((w) => ({
    ...asJsonColumns(userColumns(w.next)),
    id: w.next.id,
    org_id: w.next.orgId,
    version: w.next.version,
    updated_at: w.at,
  }));
  // One announcement per org of the batch, naming all its users: one whose guard failed is
  // announced too, which only makes the caches read it again.
  const byOrg = new Map<string, string[]>();
  for (const w of writes) {
    const ids = byOrg.get(w.next.orgId);
    if (ids) ids.push(w.next.id);
    else byOrg.set(w.next.orgId, [w.next.id]);
  }
  const bindings = {
    writes: JSON.stringify(
      writes.map((w, n) => ({
        n,
        org_id: w.next.orgId,
        connection_id: w.next.connectionId,
        id: w.next.id,
        read_version: w.readVersion,
        state_mode: !w.access ? 'none' : w.access.before === undefined ? 'insert' : 'replace',
        state_before: w.access?.before ?? null,
        state_after: w.access?.after ?? null,
        revoke: w.revokeSessions,
        values_changed: w.valuesChanged,
        at: w.at,
      })),
    ),
    users: JSON.stringify(users),
    values: JSON.stringify(
      writes.flatMap((w) => (w.valuesChanged ? owned(w.next.id, valueRows(w.next).map(asJsonColumns)) : [])),
    ),
    audit: JSON.stringify(writes.flatMap((w) => owned(w.next.id, [auditJsonRow(w.audit)]))),
    events: JSON.stringify(writes.flatMap((w) => owned(w.next.id, w.events.map(eventRow)))),
    changes: JSON.stringify(writes.flatMap((w) => owned(w.next.id, changeRowsOf(w)))),
    channel: ACCESS_CHANNEL,
    payloads: JSON.stringify([...byOrg].map(([orgId, ids]) => noticePayload(orgId, ids))),
  };
  const parts: Parts = {
    insertState: writes.some((w) => w.access !== undefined && w.access.before === undefined),
    replaceState: writes.some((w) => w.access?.before !== undefined),
    values: writes.some((w) => w.valuesChanged),
    revoke: writes.some((w) => w.revokeSessions),
  };
  const rows = await hotRowsNamed(db, statement(Object.keys(users[0]!), parts), bindings);
  const written = new Array<boolean>(writes.length).fill(false);
  for (const row of rows) written[Number(row.n)] = row.written === true;
  return written;
}

/** Users' guarded writes as they come, together when they come faster than one is written. */
export function userUpdateTurn(db: Knex): BatchTurn<UserUpdateWrite, boolean> {
  return new BatchTurn({
    alone: (w) => writeUserUpdate(db, w, { nowait: true }),
    together: (writes) => writeUserUpdates(db, writes),
    fallback: (w) => writeUserUpdate(db, w),
    keyOf: (w) => w.next.id,
    maxBatch: MAX_WRITES,
    mayHaveWritten: isLostInFlight,
  });
}
