/**
 * The read before a user's one-statement update (user-update-statement.ts), on PostgreSQL:
 * reads that arrive while one is in flight are read together, in one statement
 * (batch-turn.ts), each user by its own primary-key lookup behind an `OFFSET 0` fence. An
 * IdP deactivating people sends these eight at a time.
 */
import type { Knex } from 'knex';
import { BatchTurn } from './batch-turn.js';
import { hotRowsNamed } from './direct-statement.js';
import type { Row } from './repositories/directory-user-rows.js';
import {
  FOR_UPDATE_COLUMNS,
  readUserForUpdate,
  userForUpdateOfRow,
  type UserForUpdate,
} from './user-update-statement.js';

export interface UserKey {
  readonly orgId: string;
  readonly connectionId: string;
  readonly id: string;
}

const READ_MANY = `SELECT k.key_n, x.* FROM json_to_recordset(CAST(:keys AS json))
        AS k(key_n int, org_id text, connection_id text, id text)
      CROSS JOIN LATERAL (SELECT ${FOR_UPDATE_COLUMNS}
        FROM directory_users u WHERE u.org_id = k.org_id AND u.id = k.id AND u.connection_id = k.connection_id
        OFFSET 0) x`;

/** Several users in one statement: an answer per key, in order (undefined: no such user of that connection). */
export async function readUsersForUpdate(
  db: Knex,
  keys: readonly UserKey[],
): Promise<Array<UserForUpdate | undefined>> {
  const rows: Row[] = await hotRowsNamed(db, READ_MANY, {
    keys: JSON.stringify(keys.map((k, n) => ({ key_n: n, org_id: k.orgId, connection_id: k.connectionId, id: k.id }))),
  });
  const answers = new Array<UserForUpdate | undefined>(keys.length).fill(undefined);
  for (const row of rows) answers[Number(row.key_n)] = userForUpdateOfRow(row);
  return answers;
}

/**
 * Reads as they come, together when they come faster than one is read (PostgreSQL, outside
 * transactions). `statements`: how many may be in flight (batch-turn.ts); the reads of
 * `GET /Users/{id}` take two, the reads before an update one (a second read statement beside
 * the writes measured no faster for deactivations).
 */
export function userForUpdateTurn(db: Knex, statements: 1 | 2 = 1): BatchTurn<UserKey, UserForUpdate | undefined> {
  const one = (k: UserKey): Promise<UserForUpdate | undefined> => readUserForUpdate(db, k.orgId, k.connectionId, k.id);
  return new BatchTurn({
    alone: one,
    together: (ks) => readUsersForUpdate(db, ks),
    fallback: one,
    maxBatch: 32,
    statements,
  });
}
