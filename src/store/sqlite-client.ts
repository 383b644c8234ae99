/**
 * Knex's better-sqlite3 client, changed in the two places where its behaviour makes
 * several writers of one database file fail (the service and the CLI, or two CLI runs):
 *
 * - Transactions start with `BEGIN IMMEDIATE`: they take the write lock at once, or wait
 *   for it. Knex's plain `BEGIN` takes it at the first write, and a transaction that read
 *   first then fails with SQLITE_BUSY at once (its snapshot may be stale), which no busy
 *   timeout helps with.
 * - Waiting for the lock is asynchronous: a statement outside a transaction (a `BEGIN
 *   IMMEDIATE`, or a single write) that finds the file locked is retried after a short
 *   sleep, for up to BUSY_WAIT_MS. SQLite's own busy timeout would sleep inside the
 *   statement and stall the whole event loop while another process writes; it is 0 here.
 *   A statement that got SQLITE_BUSY did nothing, so running it again is safe.
 *
 * Knex prepares every statement anew (SQLite parses and plans it each time); here a
 * connection keeps up to MAX_PREPARED statements by their text and reuses them, as named
 * statements do on PostgreSQL. better-sqlite3 runs a statement to completion before the
 * next one starts, and re-prepares it itself after a schema change.
 *
 * And each statement first lets the event loop turn: better-sqlite3 runs statements
 * synchronously, so a transaction of many statements would otherwise hold the loop from
 * its first to its last. The loop is held for one statement at most.
 */
import type { Knex } from 'knex';
import Client_BetterSQLite3, { type QueryObject } from 'knex/lib/dialects/better-sqlite3/index.js';
import Transaction_Sqlite from 'knex/lib/dialects/sqlite3/execution/sqlite-transaction.js';

/** How long a statement waits in all for another writer to finish before failing (503). */
export const BUSY_WAIT_MS = 10_000;

/** Statements kept per connection (texts past this are prepared each time, as Knex does). */
const MAX_PREPARED = 1000;

interface Preparing {
  prepare(sql: string): unknown;
}

/** The connection, its `prepare` answering a text it has prepared before with the same statement. */
function withStatementCache<T>(connection: T): T {
  const conn = connection as T & Preparing;
  const prepare = conn.prepare.bind(conn);
  const statements = new Map<string, unknown>();
  conn.prepare = (sql: string) => {
    let statement = statements.get(sql);
    if (statement === undefined) {
      statement = prepare(sql);
      if (statements.size < MAX_PREPARED) statements.set(sql, statement);
    }
    return statement;
  };
  return conn;
}

class ImmediateTransaction extends Transaction_Sqlite {
  begin(conn: unknown): Promise<unknown> {
    return this.query(conn, 'BEGIN IMMEDIATE;');
  }
}

interface SqliteConnection {
  readonly inTransaction: boolean;
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_'));
}

export class SqliteClient extends Client_BetterSQLite3 {
  override async acquireRawConnection(): Promise<unknown> {
    return withStatementCache(await super.acquireRawConnection());
  }

  override transaction(container: unknown, config: unknown, outerTx: unknown): Knex.Transaction {
    // Knex types this as the transaction builder; the client returns its Transaction object, as here.
    return new ImmediateTransaction(this, container, config, outerTx) as unknown as Knex.Transaction;
  }

  override async _query(connection: unknown, obj: QueryObject): Promise<QueryObject> {
    await new Promise((resolve) => setImmediate(resolve));
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      try {
        return await super._query(connection, obj);
      } catch (error) {
        // Inside a transaction the lock is already held (BEGIN IMMEDIATE): BUSY there is not ours to retry.
        if (!isBusy(error) || (connection as SqliteConnection).inTransaction) throw error;
        if (Date.now() - started >= BUSY_WAIT_MS) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.min(2 ** attempt, 50)));
      }
    }
  }
}
