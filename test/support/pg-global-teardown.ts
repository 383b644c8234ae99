/** After the PostgreSQL project: drop the databases this run made, and stop a throwaway cluster. */
import type * as PgRun from './pg-run.js';

// Loaded by Node's own resolver (see pg-global-setup.ts).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { dropRunDatabases } = require('./pg-run') as typeof PgRun;

export default async function globalTeardown(): Promise<void> {
  const scratch = (globalThis as { ibScratchPostgres?: { stop(): void } }).ibScratchPostgres;
  if (scratch) {
    scratch.stop(); // its data folder goes with it
    return;
  }
  const run = process.env.IB_TEST_RUN;
  if (run) await dropRunDatabases(run);
}
