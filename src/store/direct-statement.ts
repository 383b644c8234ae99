/**
 * Hot statements whose SQL is made once per text or shape and run straight on a pooled
 * PostgreSQL connection, past Knex's query builder and runner. For a SCIM create, Knex
 * compiling its INSERTs (and then the statement around them) on every request was about a
 * seventh of the service's CPU; for a lookup, placing bindings and running the query cost
 * about as much as the rest of the request. A statement is named (prepared) unless
 * DATABASE_PREPARED_STATEMENTS is off, and gets a span as Knex's statements do.
 */
import type { Knex } from 'knex';
import { tracer, tracingEnabled } from '../telemetry/tracing.js';
import { prepared, statementName, usesPreparedStatements } from './prepared-statements.js';
import { notSent } from './commit-outcome.js';

type Row = Record<string, unknown>;

interface PgConnection {
  query(config: { text: string; values: unknown[]; name?: string }): Promise<{ rows: Row[]; rowCount: number | null }>;
}

/** Rows of one table, all with the same keys (the columns, in the first row's order). */
export interface TableRows {
  readonly table: string;
  readonly rows: readonly Row[];
}

const texts = new Map<string, string>();
const MAX_SHAPES = 200;

/** The INSERTs as one statement: every table but the last a data-modifying CTE (foreign keys are checked at its end). */
function statementOf(parts: readonly TableRows[]): string {
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
  known = inserts.length ? `WITH ${inserts.map((sql, i) => `w${i} AS (${sql})`).join(', ')} ${last}` : last;
  if (texts.size < MAX_SHAPES) texts.set(key, known);
  return known;
}

/** Inserts the rows of every table in one statement (tables without rows are left out). */
export async function insertRows(db: Knex, tables: readonly TableRows[]): Promise<void> {
  const parts = tables.filter((t) => t.rows.length > 0);
  if (parts.length === 0) return;
  const text = statementOf(parts);
  const values: unknown[] = [];
  for (const p of parts) {
    const columns = Object.keys(p.rows[0]!);
    for (const row of p.rows) for (const c of columns) values.push(row[c] ?? null);
  }
  await run(db, text, values);
}

interface MaybeTransaction {
  readonly isTransaction?: boolean;
}

/** Whether `db` is a transaction (its statements must run on its own connection). */
export function isTransaction(db: Knex): boolean {
  return (db as unknown as MaybeTransaction).isTransaction === true;
}

const converted = new Map<string, string>();

/** `?` placeholders as PostgreSQL's `$1, $2, ...`, converted once per text (no `?` appears in these texts otherwise). */
function positional(sql: string): string {
  let known = converted.get(sql);
  if (known) return known;
  let n = 0;
  known = sql.replace(/\?/g, () => `$${++n}`);
  if (converted.size < MAX_NAMED_TEXTS) converted.set(sql, known);
  return known;
}

const MAX_NAMED_TEXTS = 500;

/**
 * The rows of a hot statement written with `?` placeholders (values bound in order; a JS
 * array binds as a PostgreSQL array): on PostgreSQL outside a transaction, straight on a
 * pooled connection, named; otherwise through Knex (a transaction's statements must run on
 * its connection; SQLite). For fixed texts only: each distinct text is a prepared statement.
 */
export async function hotRows(db: Knex, sql: string, bindings: readonly unknown[]): Promise<Row[]> {
  if (db.client.config.client !== 'pg' || isTransaction(db)) {
    const result: unknown = await prepared(db, db.raw(sql, bindings as Knex.RawBinding[]));
    return Array.isArray(result) ? (result as Row[]) : (result as { rows: Row[] }).rows;
  }
  return (await run(db, positional(sql), [...bindings])).rows;
}

async function run(db: Knex, text: string, values: unknown[]): Promise<{ rows: Row[] }> {
  const name = usesPreparedStatements(db) ? statementName(text) : undefined;
  const span = tracingEnabled()
    ? tracer.startSpan('db.query', { attributes: { 'db.system': 'postgresql', 'db.statement': text.slice(0, 2000) } })
    : undefined;
  // A connection that cannot be had (refused, reset while it was being opened) ran nothing.
  const connection = (await db.client.acquireConnection().catch((error: unknown) => {
    span?.end();
    throw notSent(error);
  })) as PgConnection;
  try {
    return await connection.query({ text, values, ...(name ? { name } : {}) });
  } finally {
    await db.client.releaseConnection(connection);
    span?.end();
  }
}

const namedOrder = new Map<string, { sql: string; names: string[] }>();

/** `hotRows` for a text with `:name` placeholders (each occurrence bound on its own; `::type` casts are left alone). */
export function hotRowsNamed(db: Knex, sql: string, bindings: Readonly<Record<string, unknown>>): Promise<Row[]> {
  let known = namedOrder.get(sql);
  if (!known) {
    const names: string[] = [];
    const text = sql.replace(/(?<![:\w]):([A-Za-z_]\w*)/g, (_m, name: string) => {
      names.push(name);
      return '?';
    });
    known = { sql: text, names };
    if (namedOrder.size < MAX_NAMED_TEXTS) namedOrder.set(sql, known);
  }
  return hotRows(
    db,
    known.sql,
    known.names.map((name) => {
      if (!(name in bindings)) throw new Error(`no value bound for :${name}`);
      return bindings[name];
    }),
  );
}
