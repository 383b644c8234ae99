/**
 * Knex for the two supported dialects: PostgreSQL (`pg`) and embedded SQLite
 * (`better-sqlite3`, WAL, foreign keys on). The only place that knows how to open one.
 */
import fs from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import type { DatabaseConfig } from '../config/config.js';
import { MIGRATION_CONFIG } from './migration-source.js';
import { reuseResultShapes } from './pg-result-shapes.js';
import { SqliteClient } from './sqlite-client.js';

export type Db = Knex;
export type Dialect = 'pg' | 'sqlite';

// PostgreSQL `bigint` (e.g. count(*)) is returned as a string by default; our counts fit a double.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number.parseInt(value, 10));
reuseResultShapes();

/**
 * Runs reads side by side on the pool, or one after the other inside a transaction (whose
 * statements share its one connection).
 */
export async function allOf<T extends readonly (() => Promise<unknown>)[]>(
  db: Knex,
  reads: T,
): Promise<{ -readonly [K in keyof T]: Awaited<ReturnType<T[K]>> }> {
  type Out = { -readonly [K in keyof T]: Awaited<ReturnType<T[K]>> };
  if (!db.isTransaction) return (await Promise.all(reads.map((r) => r()))) as Out;
  const out: unknown[] = [];
  for (const read of reads) out.push(await read());
  return out as Out;
}

export function dialectOf(db: Knex): Dialect {
  return db.client.config.client === 'pg' ? 'pg' : 'sqlite';
}

interface SqliteConnection {
  pragma(source: string): unknown;
}

interface PgConnection {
  query(sql: string, callback: (error: Error | null) => void): void;
}

/** Where Knex's own warnings go (it would print them with console.log otherwise). */
export interface DatabaseLog {
  warn(message: string): void;
  error(message: string): void;
}

const SILENT_LOG: DatabaseLog = { warn: () => undefined, error: () => undefined };

function knexLog(log: DatabaseLog): Knex.Config['log'] {
  const text = (m: unknown): string => (m instanceof Error ? m.message : String(m));
  return {
    warn: (m: unknown) => log.warn(text(m)),
    error: (m: unknown) => log.error(text(m)),
    deprecate: (m: unknown) => log.warn(text(m)),
    debug: () => undefined,
  };
}

export function openDatabase(config: DatabaseConfig, log: DatabaseLog = SILENT_LOG): Knex {
  if (config.client === 'pg') {
    const pgConfig: Knex.Config & { preparedStatements: boolean } = {
      log: knexLog(log),
      // Read back by prepared-statements.ts (Knex keeps its config object as given).
      preparedStatements: config.preparedStatements ?? true,
      client: 'pg',
      connection: { connectionString: config.url, application_name: 'identity-bridge' },
      pool: {
        min: 0,
        max: config.poolMax,
        // Every statement gets a deadline below the request timeout: PostgreSQL stops it
        // (the backend is idle again) and the request is answered 503. A session setting,
        // sent once per connection; behind a transaction-mode PgBouncer set it on the server
        // side as well (README, Operations).
        // JIT is off: the service's statements are short, and PostgreSQL compiles any plan
        // whose estimate passes jit_above_cost, which a group with 500 members reached in
        // a batch of reads (estimated for 100 keys): 400 ms of compiling for a 1 ms read.
        afterCreate: (conn: PgConnection, done: (err: Error | null, conn: PgConnection) => void) => {
          const timeout =
            config.statementTimeoutMs !== undefined
              ? `; SET statement_timeout = ${Math.floor(config.statementTimeoutMs)}`
              : '';
          conn.query(`SET jit = off${timeout}`, (error) => done(error, conn));
        },
      },
      acquireConnectionTimeout: 10_000,
    };
    return knexFactory(pgConfig);
  }
  if (config.filename !== ':memory:') fs.mkdirSync(path.dirname(config.filename), { recursive: true });
  return knexFactory({
    log: knexLog(log),
    client: SqliteClient,
    connection: { filename: config.filename },
    useNullAsDefault: true,
    // One connection: SQLite has a single writer, and one connection serialises transactions
    // instead of failing them with SQLITE_BUSY.
    pool: {
      min: 1,
      max: 1,
      afterCreate: (conn: SqliteConnection, done: (err: Error | null, conn: SqliteConnection) => void) => {
        try {
          conn.pragma('journal_mode = WAL');
          conn.pragma('foreign_keys = ON');
          // Waiting for another writer is done without blocking the event loop (sqlite-client.ts).
          conn.pragma('busy_timeout = 0');
          conn.pragma('synchronous = NORMAL');
          // LIKE compares case as on PostgreSQL; case-insensitive matching compares folded values instead.
          conn.pragma('case_sensitive_like = ON');
          done(null, conn);
        } catch (error) {
          done(error as Error, conn);
        }
      },
    },
  });
}

/**
 * Creates the PostgreSQL database named in the URL when it does not exist yet.
 * Throws an error that says what to do when it cannot.
 */
export async function ensurePostgresDatabase(url: string): Promise<'exists' | 'created'> {
  const probe = new pg.Client({ connectionString: url });
  try {
    await probe.connect();
    return 'exists';
  } catch (error) {
    if ((error as { code?: string }).code !== '3D000') throw explainConnectError(error, url);
  } finally {
    await probe.end().catch(() => undefined);
  }
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  try {
    await client.connect();
    await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
    return 'created';
  } catch (error) {
    if ((error as { code?: string }).code === '42P04') return 'exists'; // created concurrently
    throw new Error(
      `PostgreSQL database "${name}" does not exist and could not be created (${(error as Error).message}). ` +
        `Create it with: createdb ${name}   (or: psql -c 'CREATE DATABASE "${name}"')`,
      { cause: error },
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

function explainConnectError(error: unknown, url: string): Error {
  const u = new URL(url);
  const where = `${u.hostname}:${u.port || '5432'}`;
  return new Error(`Cannot connect to PostgreSQL at ${where}: ${(error as Error).message}`, { cause: error });
}

/** Key of the session advisory lock that lets one migrator run at a time ('ib-migr'). */
export const MIGRATION_LOCK_KEY = 0x69622d6d69677200n;

/**
 * Applies pending migrations. On PostgreSQL, instances booting together take turns: each
 * holds a session advisory lock (on a connection of its own, so run this against
 * PostgreSQL itself, not a transaction-pooling PgBouncer) while it migrates, and the ones
 * that waited find nothing left to apply. Knex's own lock table would make them fail.
 */
export async function migrateLatest(db: Knex): Promise<string[]> {
  const run = async (): Promise<string[]> => {
    const [, applied] = (await db.migrate.latest(MIGRATION_CONFIG)) as [number, string[]];
    return applied;
  };
  if (dialectOf(db) !== 'pg') return run();
  const connection = db.client.config.connection as { connectionString: string };
  const lock = new pg.Client({
    connectionString: connection.connectionString,
    application_name: 'identity-bridge migrate',
  });
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
    return await run();
  } finally {
    await lock.end();
  }
}

export async function migrateRollback(db: Knex, all = false): Promise<string[]> {
  const [, rolledBack] = (await db.migrate.rollback(MIGRATION_CONFIG, all)) as [number, string[]];
  return rolledBack;
}

export interface MigrationStatus {
  readonly applied: string[];
  readonly pending: string[];
}

export async function migrationStatus(db: Knex): Promise<MigrationStatus> {
  const [done, pending] = (await db.migrate.list(MIGRATION_CONFIG)) as [
    Array<{ name: string }>,
    Array<string | { file: string }>,
  ];
  return {
    applied: done.map((m) => m.name),
    pending: pending.map((m) => (typeof m === 'string' ? m : m.file)),
  };
}
