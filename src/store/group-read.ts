/**
 * A group by id, with or without its members (`GET /Groups/{id}`), as rows; the members by
 * primary key behind an `OFFSET 0` fence (on a small directory PostgreSQL's costs preferred
 * hashing every user of the database for 50 members). On PostgreSQL outside a transaction,
 * reads that arrive while one is being read are read together, in one statement
 * (batch-turn.ts), each by its own primary-key lookup behind an `OFFSET 0` fence.
 */
import type { Knex } from 'knex';
import { BatchTurn } from './batch-turn.js';
import { hotRows, hotRowsNamed } from './direct-statement.js';

type Row = Record<string, unknown>;

/**
 * Groups read with their members per statement at most: each brings all its members, and
 * the sessions run with JIT off (database.ts), which a batch's estimate would otherwise pass.
 */
const MAX_WITH_MEMBERS = 8;

export interface GroupKey {
  readonly orgId: string;
  readonly id: string;
}

function columns(pg: boolean, withMembers: boolean): string {
  if (!withMembers) return 'g.*';
  const members = pg
    ? `(SELECT json_agg(json_build_object('id', u.id, 'userName', u.user_name, 'displayName', u.display_name) ORDER BY gm.user_id)
         FROM group_memberships gm
         CROSS JOIN LATERAL (SELECT u.id, u.user_name, u.display_name FROM directory_users u
                              WHERE u.id = gm.user_id OFFSET 0) u
        WHERE gm.group_id = g.id)`
    : `(SELECT json_group_array(json_object('id', x.id, 'userName', x.user_name, 'displayName', x.display_name))
         FROM (SELECT u.id, u.user_name, u.display_name FROM group_memberships gm JOIN directory_users u ON u.id = gm.user_id
                WHERE gm.group_id = g.id ORDER BY gm.user_id) x)`;
  return `g.*, ${members} AS members`;
}

/** One group's row (either database); `members` is its members as JSON when asked for. */
export async function readGroupRow(
  db: Knex,
  pg: boolean,
  withMembers: boolean,
  key: GroupKey,
): Promise<Row | undefined> {
  const sql = `SELECT ${columns(pg, withMembers)} FROM directory_groups g WHERE g.org_id = ? AND g.id = ?`;
  const [row] = await hotRows(db, sql, [key.orgId, key.id]);
  return row;
}

/** Several groups' rows in one statement (PostgreSQL), in the order of `keys`; `members` as in readGroupRow. */
export async function readGroupRows(
  db: Knex,
  withMembers: boolean,
  keys: readonly GroupKey[],
): Promise<Array<Row | undefined>> {
  const sql = `SELECT k.read_n, x.* FROM json_to_recordset(CAST(:keys AS json)) AS k(read_n int, org_id text, id text)
      CROSS JOIN LATERAL (SELECT ${columns(true, withMembers)} FROM directory_groups g
        WHERE g.org_id = k.org_id AND g.id = k.id OFFSET 0) x`;
  const rows = await hotRowsNamed(db, sql, {
    keys: JSON.stringify(keys.map((k, n) => ({ read_n: n, org_id: k.orgId, id: k.id }))),
  });
  const out = new Array<Row | undefined>(keys.length).fill(undefined);
  for (const row of rows) out[Number(row.read_n)] = row;
  return out;
}

/** Group reads as they come, together when they come faster than one is read (PostgreSQL). */
export function groupReadTurn(db: Knex, withMembers: boolean): BatchTurn<GroupKey, Row | undefined> {
  return new BatchTurn({
    alone: (key) => readGroupRow(db, true, withMembers, key),
    together: (keys) => readGroupRows(db, withMembers, keys),
    fallback: (key) => readGroupRow(db, true, withMembers, key),
    maxBatch: withMembers ? MAX_WITH_MEMBERS : 32,
    statements: 2,
  });
}
