/**
 * Hot writes whose SQL is made once per shape and run straight on a pooled PostgreSQL
 * connection, past Knex's query builder and runner. For a SCIM create, Knex compiling its
 * INSERTs (and then the statement around them) on every request was about a seventh of the
 * service's CPU. The statement is named (prepared) unless DATABASE_PREPARED_STATEMENTS is
 * off, and gets a span as Knex's statements do.
 */
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { tracer, tracingEnabled } from '../telemetry/tracing.js';
import { usesPreparedStatements } from './prepared-statements.js';

type Row = Record<string, unknown>;

interface PgConnection {
  query(config: { text: string; values: unknown[]; name?: string }): Promise<{ rows: Row[]; rowCount: number | null }>;
}

/** Rows of one table, all with the same keys (the columns, in the first row's order). */
export interface TableRows {
  readonly table: string;
  readonly rows: readonly Row[];
}

const texts = new Map<string, { text: string; name: string }>();
const MAX_SHAPES = 200;

/** The INSERTs as one statement: every table but the last a data-modifying CTE (foreign keys are checked at its end). */
function statementOf(parts: readonly TableRows[]): { text: string; name: string } {
  const key = parts.map((p) => `${p.table}(${Object.keys(p.rows[0]!).join(',')})x${p.rows.length}`).join(';');
  let known = texts.get(key);
  if (known) return known;
  let n = 0;
  const inserts = parts.map((p) => {
    const columns = Object.keys(p.rows[0]!);
    const tuples = p.rows.map(() => `(${columns.map(() => `$${++n}`).join(', ')})`);
    return `INSERT INTO ${p.table} (${columns.map((c) => `"${c}"`).join(', ')}) VALUES ${tuples.join(', ')}`;
  });
  const last = inserts.pop()!;
  const text = inserts.length ? `WITH ${inserts.map((sql, i) => `w${i} AS (${sql})`).join(', ')} ${last}` : last;
  known = { text, name: `ib_${createHash('sha1').update(text).digest('hex').slice(0, 24)}` };
  if (texts.size < MAX_SHAPES) texts.set(key, known);
  return known;
}

/** Inserts the rows of every table in one statement (tables without rows are left out). */
export async function insertRows(db: Knex, tables: readonly TableRows[]): Promise<void> {
  const parts = tables.filter((t) => t.rows.length > 0);
  if (parts.length === 0) return;
  const { text, name } = statementOf(parts);
  const values: unknown[] = [];
  for (const p of parts) {
    const columns = Object.keys(p.rows[0]!);
    for (const row of p.rows) for (const c of columns) values.push(row[c] ?? null);
  }
  const span = tracingEnabled()
    ? tracer.startSpan('db.query', { attributes: { 'db.system': 'postgresql', 'db.statement': text.slice(0, 2000) } })
    : undefined;
  const connection = (await db.client.acquireConnection()) as PgConnection;
  try {
    await connection.query({ text, values, ...(usesPreparedStatements(db) ? { name } : {}) });
  } finally {
    await db.client.releaseConnection(connection);
    span?.end();
  }
}
