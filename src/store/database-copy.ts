/**
 * Moving an installation from the embedded SQLite to PostgreSQL: the target is migrated,
 * every table is copied in foreign-key order in batches inside one transaction, and each
 * table's row count and checksum are compared on both sides before it commits. The source
 * is opened read-only and never written.
 *
 * The checksum is order-independent (the sum of each row's hash, mod 2^64): the two
 * databases order text differently. Each value is hashed as the target's column type reads
 * it (a boolean stored as 0/1, a time as UTC text and a JSON text in SQLite; jsonb's own key
 * order in PostgreSQL), so a value changed in transit changes the sum.
 */
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import pg from 'pg';
import { ensurePostgresDatabase, migrateLatest, migrationStatus, openDatabase } from './database.js';

/** Tables of the migration tool itself: created by migrating the target, never copied. */
const NOT_COPIED = new Set(['knex_migrations', 'knex_migrations_lock']);
/** PostgreSQL accepts at most 65,535 parameters per statement. */
const MAX_PARAMETERS = 60_000;

export interface CopyProgress {
  readonly table: string;
  readonly copied: number;
  readonly total: number;
}

export interface TableReport {
  readonly table: string;
  readonly rows: number;
  /** The order-independent checksum, equal on both sides. */
  readonly checksum: string;
}

export interface CopyOptions {
  /** The SQLite file. */
  readonly from: string;
  /** The PostgreSQL URL. */
  readonly to: string;
  /** Replace what the target holds (its tables are emptied first, in the same transaction). */
  readonly force?: boolean;
  /** Rows read per batch (default 5,000). */
  readonly batch?: number;
  readonly onProgress?: (p: CopyProgress) => void;
}

export class CopyRefused extends Error {}

interface Column {
  readonly name: string;
  readonly type: string;
}

interface Table {
  readonly name: string;
  readonly columns: readonly Column[];
  /** Columns filled by a sequence, set past the copied values afterwards. */
  readonly serials: readonly string[];
}

/** A JSON value with object keys sorted, as text: the same for SQLite's text and jsonb's value. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A value as its column type reads it, for the checksum. */
function normalized(type: string, value: unknown): string {
  if (value === null || value === undefined) return '\u2205';
  switch (type) {
    case 'boolean':
      return value === true || value === 1 || value === '1' || value === 'true' ? 't' : 'f';
    case 'timestamp with time zone':
      return new Date(value as string | Date).toISOString();
    case 'jsonb':
    case 'json':
      return canonicalJson(typeof value === 'string' ? JSON.parse(value) : value);
    case 'integer':
    case 'bigint':
    case 'smallint':
      return String(Number(value));
    default:
      return value instanceof Date ? value.toISOString() : String(value);
  }
}

/** A value of the SQLite row as the PostgreSQL column takes it. */
function converted(type: string, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (type === 'boolean') return value === 1 || value === true || value === '1' || value === 'true';
  if (type === 'timestamp with time zone' && typeof value === 'number') return new Date(value).toISOString();
  if (typeof value === 'bigint') return value.toString();
  return value;
}

class Checksum {
  private sum = 0n;
  private rows = 0;
  constructor(private readonly columns: readonly Column[]) {}

  add(row: Record<string, unknown>): void {
    const line = this.columns.map((c) => normalized(c.type, row[c.name])).join('\u0001');
    this.sum = (this.sum + createHash('sha256').update(line).digest().readBigUInt64BE(0)) & 0xffffffffffffffffn;
    this.rows++;
  }

  get count(): number {
    return this.rows;
  }

  get value(): string {
    return this.sum.toString(16).padStart(16, '0');
  }
}

/** The target's tables in foreign-key order (a table after every table it references). */
async function tablesOf(client: pg.Client): Promise<Table[]> {
  const columns = await client.query<{ table_name: string; column_name: string; data_type: string; d: string | null }>(
    `SELECT table_name, column_name, data_type, column_default AS d FROM information_schema.columns
      WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`,
  );
  const refs = await client.query<{ child: string; parent: string }>(
    `SELECT DISTINCT tc.table_name AS child, ccu.table_name AS parent
       FROM information_schema.table_constraints tc
       JOIN information_schema.constraint_column_usage ccu
         ON ccu.constraint_name = tc.constraint_name AND ccu.table_schema = tc.table_schema
      WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = current_schema()`,
  );
  const tables = new Map<string, { columns: Column[]; serials: string[] }>();
  for (const c of columns.rows) {
    if (NOT_COPIED.has(c.table_name)) continue;
    const t = tables.get(c.table_name) ?? { columns: [], serials: [] };
    t.columns.push({ name: c.column_name, type: c.data_type });
    if (c.d?.startsWith('nextval(')) t.serials.push(c.column_name);
    tables.set(c.table_name, t);
  }
  const parents = new Map<string, Set<string>>();
  for (const r of refs.rows) {
    if (r.child === r.parent) continue;
    parents.set(r.child, (parents.get(r.child) ?? new Set()).add(r.parent));
  }
  const ordered: Table[] = [];
  const placed = new Set<string>();
  const place = (name: string, path: readonly string[]): void => {
    if (placed.has(name)) return;
    if (path.includes(name)) throw new Error(`foreign keys form a cycle: ${[...path, name].join(' -> ')}`);
    for (const p of parents.get(name) ?? []) if (tables.has(p)) place(p, [...path, name]);
    placed.add(name);
    const t = tables.get(name)!;
    ordered.push({ name, columns: t.columns, serials: t.serials });
  };
  for (const name of [...tables.keys()].sort()) place(name, []);
  return ordered;
}

const ident = (name: string): string => pg.escapeIdentifier(name);

/** Copies the SQLite database at `from` into the PostgreSQL database at `to`; see the file comment. */
export async function copyDatabase(options: CopyOptions): Promise<TableReport[]> {
  const batch = options.batch ?? 5000;
  const source = new Database(options.from, { readonly: true, fileMustExist: true });
  try {
    // The source must be at the schema this version writes: the target is migrated to it.
    const sourceMigrations = source
      .prepare('SELECT name FROM knex_migrations ORDER BY id')
      .all()
      .map((r) => (r as { name: string }).name);
    await ensurePostgresDatabase(options.to);
    const knex = openDatabase({ client: 'pg', url: options.to, poolMax: 1 });
    try {
      await migrateLatest(knex);
      const status = await migrationStatus(knex);
      const missing = status.applied.filter((m) => !sourceMigrations.includes(m));
      const unknown = sourceMigrations.filter((m) => !status.applied.includes(m));
      if (unknown.length) {
        throw new CopyRefused(
          `the SQLite database has migrations this version does not know (${unknown.join(', ')}): copy it with the version that wrote it`,
        );
      }
      if (missing.length) {
        throw new CopyRefused(
          `the SQLite database is at an older schema (missing ${missing.join(', ')}): start the service on it once (it migrates at start), then copy`,
        );
      }
    } finally {
      await knex.destroy();
    }

    const client = new pg.Client({ connectionString: options.to, application_name: 'identity-bridge db copy' });
    await client.connect();
    try {
      const tables = await tablesOf(client);
      const sourceTables = new Set(
        source
          .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
          .all()
          .map((r) => (r as { name: string }).name),
      );
      await client.query('BEGIN');
      try {
        const filled: string[] = [];
        for (const t of tables) {
          const r = await client.query(`SELECT 1 FROM ${ident(t.name)} LIMIT 1`);
          if (r.rowCount) filled.push(t.name);
        }
        if (filled.length && !options.force) {
          throw new CopyRefused(
            `the target already holds data (${filled.join(', ')}): copy into an empty database, or pass --force to replace it`,
          );
        }
        if (filled.length) {
          await client.query(`TRUNCATE ${tables.map((t) => ident(t.name)).join(', ')} CASCADE`);
        }
        const reports: TableReport[] = [];
        for (const t of tables) {
          reports.push(await copyTable(source, client, t, sourceTables.has(t.name), batch, options.onProgress));
        }
        await client.query('COMMIT');
        return reports;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    } finally {
      await client.end();
    }
  } finally {
    source.close();
  }
}

async function copyTable(
  source: Database.Database,
  client: pg.Client,
  t: Table,
  inSource: boolean,
  batch: number,
  onProgress: CopyOptions['onProgress'],
): Promise<TableReport> {
  const names = t.columns.map((c) => c.name);
  const total = inSource ? (source.prepare(`SELECT count(*) AS n FROM ${ident(t.name)}`).get() as { n: number }).n : 0;
  const sent = new Checksum(t.columns);
  onProgress?.({ table: t.name, copied: 0, total });
  if (total > 0) {
    const perStatement = Math.max(1, Math.min(batch, Math.floor(MAX_PARAMETERS / names.length)));
    const insert = (rows: Array<Record<string, unknown>>): Promise<unknown> => {
      const values: unknown[] = [];
      const tuples = rows.map((row) => {
        const start = values.length;
        for (const c of t.columns) values.push(converted(c.type, row[c.name]));
        return `(${names.map((_, i) => `$${start + i + 1}`).join(', ')})`;
      });
      return client.query(
        `INSERT INTO ${ident(t.name)} (${names.map(ident).join(', ')}) VALUES ${tuples.join(', ')}`,
        values,
      );
    };
    const read = source.prepare(`SELECT ${names.map(ident).join(', ')} FROM ${ident(t.name)}`);
    let pending: Array<Record<string, unknown>> = [];
    let copied = 0;
    for (const row of read.iterate() as IterableIterator<Record<string, unknown>>) {
      sent.add(row);
      pending.push(row);
      if (pending.length === perStatement) {
        await insert(pending);
        copied += pending.length;
        pending = [];
        if (copied % batch < perStatement) onProgress?.({ table: t.name, copied, total });
      }
    }
    if (pending.length) {
      await insert(pending);
      copied += pending.length;
    }
    onProgress?.({ table: t.name, copied, total });
  }
  for (const serial of t.serials) {
    await client.query(
      `SELECT setval(pg_get_serial_sequence($1, $2), COALESCE(MAX(${ident(serial)}), 1), MAX(${ident(serial)}) IS NOT NULL) FROM ${ident(t.name)}`,
      [t.name, serial],
    );
  }
  // What arrived, read back as PostgreSQL stores it.
  const received = new Checksum(t.columns);
  const cursorName = `copy_${t.name}`;
  await client.query(
    `DECLARE ${ident(cursorName)} NO SCROLL CURSOR FOR SELECT ${names.map(ident).join(', ')} FROM ${ident(t.name)}`,
  );
  for (;;) {
    const r = await client.query<Record<string, unknown>>(`FETCH ${batch} FROM ${ident(cursorName)}`);
    for (const row of r.rows) received.add(row);
    if (r.rows.length < batch) break;
  }
  await client.query(`CLOSE ${ident(cursorName)}`);
  if (received.count !== sent.count || received.value !== sent.value) {
    throw new Error(
      `table ${t.name} did not arrive intact: ${sent.count} rows (checksum ${sent.value}) sent, ${received.count} (${received.value}) read back`,
    );
  }
  return { table: t.name, rows: sent.count, checksum: sent.value };
}
