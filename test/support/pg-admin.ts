/** PostgreSQL administration for tests: the server named by TEST_DATABASE_URL (default: local `test` database). */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { MIGRATIONS } from '../../src/store/migration-source.js';

export const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** The migrated template every test database is cloned from; its name changes with the migration list. */
export const TEMPLATE_DB = `ib_tpl_${createHash('sha1')
  .update(MIGRATIONS.map((m) => m.name).join('\n'))
  .digest('hex')
  .slice(0, 10)}`;

export function urlFor(database: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function withAdminClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `PostgreSQL is not reachable at ${ADMIN_URL} (${(error as Error).message}). ` +
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
