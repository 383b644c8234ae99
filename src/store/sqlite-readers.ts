/**
 * Reader threads for the embedded database. better-sqlite3 runs a statement on the thread
 * that calls it, so on the service's own connection a search that reads a whole connection
 * holds the event loop for as long as it runs: every tenant's requests, and /healthz,
 * wait. Searches that scan (filter-sql.ts `cost: 'scan'`) run here instead, each thread
 * with a read-only connection to the same file (WAL lets readers run beside the writer and
 * see every committed write). Each statement has a deadline: the SQL calls `ib_deadline()`
 * for every row it reads, which stops the statement once the deadline has passed.
 *
 * Threads start on first use and stop after a minute without work. Writes and everything
 * inside a transaction stay on the service's connection.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type * as WorkerThreads from 'node:worker_threads';
import type BetterSqlite3 from 'better-sqlite3';

/** The SQL function that scans call for each row they read. */
export const DEADLINE_CHECK = 'ib_deadline()';

/** Raised for a statement stopped at its deadline; answered 503 like PostgreSQL's statement timeout. */
export class StatementDeadlineError extends Error {
  readonly code = 'SQLITE_INTERRUPT';
  constructor() {
    super('The statement ran past its deadline and was stopped');
  }
}

const IDLE_MS = 60_000;

interface Job {
  readonly id: number;
  readonly resolve: (rows: unknown[]) => void;
  readonly reject: (error: Error) => void;
}

interface Reader {
  readonly worker: Worker;
  job: Job | undefined;
}

type WorkerReply =
  | { readonly id: number; readonly rows: unknown[] }
  | { readonly id: number; readonly error: { message: string; code?: string; deadline: boolean } };

/**
 * The body of each thread. It runs as a script of its own (Worker `eval`), so it may use
 * nothing from this module: only what `load` gives it.
 */
function readerThread(load: (id: string) => unknown): void {
  const { parentPort, workerData } = load('node:worker_threads') as typeof WorkerThreads;
  const data = workerData as { driver: string; filename: string };
  const Database = load(data.driver) as typeof BetterSqlite3;
  const db = new Database(data.filename, { readonly: true, fileMustExist: true, timeout: 2000 });
  db.pragma('case_sensitive_like = ON'); // as on the service's connection
  let deadline = Number.POSITIVE_INFINITY;
  let calls = 0;
  db.function('ib_deadline', { deterministic: false }, () => {
    if ((++calls & 127) === 0 && Date.now() > deadline) throw new Error('ib_deadline_passed');
    return 1;
  });
  const statements = new Map<string, ReturnType<typeof db.prepare>>();
  parentPort!.on('message', (m: { id: number; sql: string; bindings: unknown[]; timeoutMs: number }) => {
    deadline = Date.now() + m.timeoutMs;
    calls = 0;
    try {
      let statement = statements.get(m.sql);
      if (!statement) {
        if (statements.size >= 500) statements.clear();
        statement = db.prepare(m.sql);
        statements.set(m.sql, statement);
      }
      parentPort!.postMessage({ id: m.id, rows: statement.all(m.bindings) });
    } catch (error) {
      const e = error as { message?: unknown; code?: unknown };
      const message = String(e.message);
      parentPort!.postMessage({
        id: m.id,
        error: {
          message,
          code: typeof e.code === 'string' ? e.code : undefined,
          deadline: message.includes('ib_deadline_passed'),
        },
      });
    }
  });
}

/** What better-sqlite3 is given for a Knex binding (as Knex's own client converts them). */
function driverValue(binding: unknown): unknown {
  if (typeof binding === 'boolean') return Number(binding);
  if (binding instanceof Date) return binding.valueOf();
  return binding;
}

export class SqliteReaders {
  private readonly readers: Reader[] = [];
  private readonly backlog: Array<{ job: Job; message: unknown }> = [];
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly driver: string;

  constructor(
    private readonly filename: string,
    private readonly size: number,
    private readonly timeoutMs: number,
  ) {
    this.driver = createRequire(import.meta.url).resolve('better-sqlite3');
  }

  /** The rows of one read-only statement, run on a reader thread. */
  all<T>(sql: string, bindings: readonly unknown[]): Promise<T[]> {
    this.touch();
    return new Promise<T[]>((resolve, reject) => {
      const job: Job = { id: this.nextId++, resolve: (rows) => resolve(rows as T[]), reject };
      const message = { id: job.id, sql, bindings: bindings.map(driverValue), timeoutMs: this.timeoutMs };
      const reader = this.idleReader();
      if (reader) this.send(reader, job, message);
      else this.backlog.push({ job, message });
    });
  }

  async close(): Promise<void> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const all = this.readers.splice(0);
    await Promise.all(all.map((r) => r.worker.terminate()));
  }

  private idleReader(): Reader | undefined {
    const free = this.readers.find((r) => r.job === undefined);
    if (free) return free;
    if (this.readers.length >= this.size) return undefined;
    const reader: Reader = { worker: this.spawn(), job: undefined };
    this.readers.push(reader);
    return reader;
  }

  private spawn(): Worker {
    const worker = new Worker(`(${readerThread.toString()})(require)`, {
      eval: true,
      workerData: { driver: this.driver, filename: this.filename },
    });
    worker.unref();
    worker.on('message', (reply: WorkerReply) => this.settle(worker, reply));
    worker.on('error', (error) => this.fail(worker, error));
    worker.on('exit', () => this.fail(worker, new Error('a database reader thread stopped')));
    return worker;
  }

  private send(reader: Reader, job: Job, message: unknown): void {
    reader.job = job;
    reader.worker.postMessage(message);
  }

  private settle(worker: Worker, reply: WorkerReply): void {
    const reader = this.readers.find((r) => r.worker === worker);
    const job = reader?.job;
    if (!reader || !job || job.id !== reply.id) return;
    reader.job = undefined;
    if ('rows' in reply) job.resolve(reply.rows);
    else if (reply.error.deadline) job.reject(new StatementDeadlineError());
    else job.reject(Object.assign(new Error(reply.error.message), { code: reply.error.code }));
    const next = this.backlog.shift();
    if (next) this.send(reader, next.job, next.message);
  }

  private fail(worker: Worker, error: Error): void {
    const i = this.readers.findIndex((r) => r.worker === worker);
    if (i < 0) return;
    const [reader] = this.readers.splice(i, 1);
    reader!.job?.reject(error);
    const next = this.backlog.shift();
    if (next) {
      const replacement = this.idleReader();
      if (replacement) this.send(replacement, next.job, next.message);
      else this.backlog.unshift(next);
    }
  }

  /** Threads end after a while without work; the next search starts them again. */
  private touch(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.readers.every((r) => r.job === undefined) && this.backlog.length === 0) void this.close();
    }, IDLE_MS);
    this.idleTimer.unref();
  }
}
