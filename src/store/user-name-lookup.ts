/**
 * The `userName eq` lookup every IdP makes before it creates a user, on PostgreSQL outside
 * a transaction: lookups that arrive while one is being read are read together, in one
 * statement (batch-turn.ts), each by its own index lookup behind an `OFFSET 0` fence. And a
 * user by id with the same columns (`GET /Users/{id}` on SQLite).
 */
import type { Knex } from 'knex';
import { BatchTurn } from './batch-turn.js';
import { hotRows, hotRowsNamed } from './direct-statement.js';
import type { DirectoryUser } from '../domain/directory.js';
import {
  decodeGroups,
  decodeUser,
  groupsJsonSql,
  valuesJsonSql,
  type Row,
  type UserGroups,
} from './repositories/directory-user-rows.js';

export interface UserNameLookup {
  readonly orgId: string;
  readonly connectionId: string;
  /** Case-folded. */
  readonly userNameLower: string;
}

export type FoundUser = { user: DirectoryUser; groups: UserGroups } | undefined;

function found(row: Row | undefined, withGroups: boolean): FoundUser {
  return row ? { user: decodeUser(row), groups: withGroups ? decodeGroups(row) : [] } : undefined;
}

function columns(pg: boolean, withGroups: boolean): string {
  return `u.*, ${valuesJsonSql(pg)} AS mv${withGroups ? `, ${groupsJsonSql(pg)} AS grp` : ''}`;
}

/** One lookup (either database; on PostgreSQL a named statement). */
export async function lookUpUserName(
  db: Knex,
  pg: boolean,
  withGroups: boolean,
  l: UserNameLookup,
): Promise<FoundUser> {
  const sql = `SELECT ${columns(pg, withGroups)}
      FROM directory_users u WHERE u.org_id = ? AND u.connection_id = ? AND u.user_name_lower = ?`;
  const [row] = await hotRows(db, sql, [l.orgId, l.connectionId, l.userNameLower]);
  return found(row, withGroups);
}

/** The connection's user by id with values and groups, in one statement (either database). */
export async function lookUpUserId(
  db: Knex,
  pg: boolean,
  l: { readonly orgId: string; readonly connectionId: string; readonly id: string },
): Promise<FoundUser> {
  const sql = `SELECT ${columns(pg, true)}
      FROM directory_users u WHERE u.org_id = ? AND u.id = ? AND u.connection_id = ?`;
  const [row] = await hotRows(db, sql, [l.orgId, l.id, l.connectionId]);
  return found(row, true);
}

/** Several lookups in one statement (PostgreSQL): an answer per lookup, in order. */
export async function lookUpUserNames(
  db: Knex,
  withGroups: boolean,
  lookups: readonly UserNameLookup[],
): Promise<FoundUser[]> {
  const sql = `SELECT k.lookup_n, x.* FROM json_to_recordset(CAST(:lookups AS json))
        AS k(lookup_n int, org_id text, connection_id text, name text)
      CROSS JOIN LATERAL (SELECT ${columns(true, withGroups)} FROM directory_users u
        WHERE u.org_id = k.org_id AND u.connection_id = k.connection_id AND u.user_name_lower = k.name OFFSET 0) x`;
  const keys = lookups.map((l, n) => ({
    lookup_n: n,
    org_id: l.orgId,
    connection_id: l.connectionId,
    name: l.userNameLower,
  }));
  const rows = await hotRowsNamed(db, sql, { lookups: JSON.stringify(keys) });
  const answers: FoundUser[] = new Array<FoundUser>(lookups.length).fill(undefined);
  for (const row of rows) answers[Number(row.lookup_n)] = found(row, withGroups);
  return answers;
}

/** Lookups read as they come, together when they come faster than one is read (PostgreSQL). */
export function userNameLookupTurn(db: Knex, withGroups: boolean): BatchTurn<UserNameLookup, FoundUser> {
  return new BatchTurn({
    alone: (l) => lookUpUserName(db, true, withGroups, l),
    together: (ls) => lookUpUserNames(db, withGroups, ls),
    fallback: (l) => lookUpUserName(db, true, withGroups, l),
    maxBatch: 32,
    statements: 2,
  });
}
