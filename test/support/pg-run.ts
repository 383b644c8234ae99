/**
 * The PostgreSQL server tests run on (TEST_DATABASE_URL, default the local `test`
 * database) and the names of the databases a run makes: its migrated template
 * `ib_tpl_<run>` and one `ib_t_<run>_<random>` per test file (IB_TEST_RUN, set by the
 * global setup). A run drops only its own, so two runs against the same server (two
 * clones, two CI jobs) never touch each other's databases. Imports nothing of the project,
 * so the global setup can load it.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const DEFAULT_TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

/** Read when used, not at import: the global setup may point it at a throwaway cluster first. */
export function adminUrl(): string {
  return process.env.TEST_DATABASE_URL ?? DEFAULT_TEST_DATABASE_URL;
}

/** This run's id; a file run without the global setup gets one of its own. */
export function runId(): string {
  return (process.env.IB_TEST_RUN ??= randomBytes(4).toString('hex'));
}

export function templateDatabase(): string {
  return `ib_tpl_${runId()}`;
}

export function testDatabaseName(random: string): string {
  return `ib_t_${runId()}_${random}`;
}

export function urlFor(database: string): string {
  const url = new URL(adminUrl());
  url.pathname = `/${database}`;
  return url.toString();
}

export async function withAdminClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl() });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `PostgreSQL is not reachable at ${adminUrl()} (${(error as Error).message}). ` +
        'Start it (e.g. pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) or set TEST_DATABASE_URL.',
      { cause: error },
    );
  }
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function dropDatabase(client: pg.Client, name: string): Promise<void> {
  await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
}

/** Drops every database this run made (test files that crashed leave theirs behind). */
export async function dropRunDatabases(run: string): Promise<string[]> {
  return withAdminClient(async (client) => {
    const { rows } = await client.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE datname = $1 OR starts_with(datname, $2)',
      [`ib_tpl_${run}`, `ib_t_${run}_`],
    );
    // Clones first: a template cannot be dropped while a clone is being made of it.
    const names = rows
      .map((r) => r.datname)
      .sort((a, b) => Number(a.startsWith('ib_tpl_')) - Number(b.startsWith('ib_tpl_')));
    for (const name of names) await dropDatabase(client, name);
    return names;
  });
}
