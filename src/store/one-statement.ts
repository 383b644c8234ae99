/**
 * Several INSERTs as one statement on PostgreSQL: each but the last becomes a data-modifying
 * CTE, and the foreign keys are checked at the statement's end. Atomic without BEGIN and
 * COMMIT, so a write that would take five round trips takes one (most of a SCIM create's
 * cost). SQLite has no INSERT in a CTE: its callers use a transaction there.
 */
import type { Knex } from 'knex';
import { prepared } from './prepared-statements.js';

export async function insertAsOneStatement(db: Knex, inserts: readonly Knex.QueryBuilder[]): Promise<void> {
  const parts = inserts.map((q) => q.toSQL());
  // Generated INSERTs hold no literal `?`: every value is a binding, so joining them is exact.
  const last = parts.pop();
  if (!last) return;
  const sql = parts.length ? `WITH ${parts.map((p, i) => `w${i} AS (${p.sql})`).join(', ')} ${last.sql}` : last.sql;
  const bindings = [...parts.flatMap((p) => p.bindings), ...last.bindings];
  await prepared(db, db.raw(sql, bindings));
}
