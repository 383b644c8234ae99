/**
 * How a search that reads a whole connection runs: it waits its organization's turn
 * (scan-gate.ts); on the embedded database it runs on a reader thread (sqlite-readers.ts)
 * with a per-row deadline check, unless it is part of a transaction, which only the
 * service's own connection can see.
 */
import type { Knex } from 'knex';
import { dialectOf } from './database.js';
import { prepared } from './prepared-statements.js';
import { ScanGate } from './scan-gate.js';
import { DEADLINE_CHECK, SqliteReaders } from './sqlite-readers.js';

export interface ScanOptions {
  /** SQL to call for every row read, which stops the statement at its deadline. */
  readonly deadlineCheck?: string;
}

export class Scans {
  constructor(
    private readonly gate: ScanGate,
    private readonly readers: SqliteReaders | undefined,
  ) {}

  /** How to compile a scan that will run through `db`. */
  optionsFor(db: Knex): ScanOptions {
    return this.readers && !db.isTransaction ? { deadlineCheck: DEADLINE_CHECK } : {};
  }

  /** The rows of a scan, run in its organization's turn (and on a reader thread when compiled for one). */
  rows<T>(db: Knex, orgId: string, query: Knex.QueryBuilder | Knex.Raw, options: ScanOptions): Promise<T[]> {
    return this.gate.run(orgId, async () => {
      if (this.readers && options.deadlineCheck) {
        const native = query.toSQL().toNative();
        return this.readers.all<T>(native.sql, native.bindings);
      }
      return (await prepared(db, query)) as T[];
    });
  }

  async close(): Promise<void> {
    await this.readers?.close();
  }
}

/** Reader threads of the embedded database (the machine's second core does the scanning). */
const SQLITE_READERS = 2;

/**
 * Turns for scans, sized to the database: one scan per organization at a time, and in all
 * at most half of PostgreSQL's pool (the rest is for lookups and writes) or the two reader
 * threads of SQLite.
 */
export function scansFor(db: Knex, statementTimeoutMs = 25_000): Scans {
  const limits = { maxWaitMs: Math.min(statementTimeoutMs, 10_000), maxQueuedPerOrg: 32 };
  const config = db.client.config as { pool?: { max?: number }; connection?: { filename?: string } };
  if (dialectOf(db) === 'pg') {
    const poolMax = config.pool?.max ?? 10;
    const gate = new ScanGate({ ...limits, perOrg: 1, total: Math.max(1, Math.floor(poolMax / 2)) });
    return new Scans(gate, undefined);
  }
  const filename = config.connection?.filename;
  const readers =
    filename && filename !== ':memory:' ? new SqliteReaders(filename, SQLITE_READERS, statementTimeoutMs) : undefined;
  return new Scans(new ScanGate({ ...limits, perOrg: 1, total: SQLITE_READERS }), readers);
}
