/**
 * Before the PostgreSQL project runs: name this run (every database it makes carries the
 * name, and teardown drops exactly those), and make sure a PostgreSQL answers. When none
 * answers at the test URL but PostgreSQL is installed (a fresh machine), start a
 * throwaway cluster for this run instead of failing.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type * as ScratchPostgres from '../../bench/scratch-postgres.js';
import type * as PgRun from './pg-run.js';

// Jest loads global setup with Node's own resolver, which does not map `.js` imports to the
// `.ts` sources as the test runtime does: name the modules without an extension instead.
/* eslint-disable @typescript-eslint/no-require-imports */
const { postgresBinaries, startScratchPostgres } = require('../../bench/scratch-postgres') as typeof ScratchPostgres;
const { adminUrl } = require('./pg-run') as typeof PgRun;
/* eslint-enable @typescript-eslint/no-require-imports */

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export default async function globalSetup(): Promise<void> {
  process.env.IB_TEST_RUN ??= randomBytes(4).toString('hex');
  const url = adminUrl();
  if (await answers(url)) return;
  if (!postgresBinaries()) {
    throw new Error(
      `PostgreSQL is not reachable at ${url} and no PostgreSQL is installed here: ` +
        'start one, or set TEST_DATABASE_URL (the integration suite runs on PostgreSQL and SQLite).',
    );
  }
  const scratch = await startScratchPostgres();
  const scratchUrl = new URL(scratch.url);
  scratchUrl.pathname = '/postgres';
  process.env.TEST_DATABASE_URL = scratchUrl.toString();
  (globalThis as { ibScratchPostgres?: { stop(): void } }).ibScratchPostgres = scratch;
  process.stdout.write(`\nNothing answered at ${url}: this run uses a throwaway PostgreSQL at ${scratchUrl.host}\n`);
}
