/**
 * Many rows into one table in as few statements as each database takes best. PostgreSQL:
 * the rows as one JSON parameter, `INSERT ... SELECT FROM json_to_recordset(...)` (a VALUES
 * list of thousands of rows, or arrays per column, cost more to build, send and parse than
 * the rows themselves). SQLite: multi-row VALUES within its bound-variable limit.
 * A `json` column takes an object and stores its JSON text.
 */
import type { Knex } from 'knex';
import { dialectOf } from './database.js';

export type ColumnType = 'text' | 'bigint' | 'integer' | 'timestamptz' | 'json';

const PG_ROWS = 5000;
/** SQLite binds at most 32,766 values per statement. */
const SQLITE_VALUES = 30_000;
/** Knex writes SQLite's multi-row INSERT as a compound SELECT, of at most 500 terms. */
const SQLITE_ROWS = 500;

export async function bulkInsert(
  db: Knex,
  table: string,
  columns: Readonly<Record<string, ColumnType>>,
  rows: ReadonlyArray<Readonly<Record<string, unknown>>>,
): Promise<void> {
  if (rows.length === 0) return;
  const names = Object.keys(columns);
  if (dialectOf(db) !== 'pg') {
    const asText = rows.map((r) => {
      const out: Record<string, unknown> = {};
      for (const n of names) out[n] = columns[n] === 'json' && r[n] != null ? JSON.stringify(r[n]) : (r[n] ?? null);
      return out;
    });
    const perStatement = Math.max(1, Math.min(SQLITE_ROWS, Math.floor(SQLITE_VALUES / names.length)));
    for (let i = 0; i < asText.length; i += perStatement) await db(table).insert(asText.slice(i, i + perStatement));
    return;
  }
  const quoted = names.map((n) => `"${n}"`);
  const selected = names.map((n, i) => (columns[n] === 'json' ? `${quoted[i]}::text` : quoted[i])).join(', ');
  const shape = names.map((n, i) => `${quoted[i]} ${columns[n]}`).join(', ');
  const sql = `INSERT INTO "${table}" (${quoted.join(', ')}) SELECT ${selected} FROM json_to_recordset(?::json) AS x(${shape})`;
  for (let i = 0; i < rows.length; i += PG_ROWS) {
    await db.raw(sql, [JSON.stringify(rows.slice(i, i + PG_ROWS))]);
  }
}
