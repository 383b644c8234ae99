/**
 * PostgreSQL administration for tests, on the server named by TEST_DATABASE_URL (default:
 * the local `test` database): the migrated template that test databases are cloned from,
 * built once per migration set by whichever test file needs it first.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { migrateLatest, openDatabase } from '../../src/store/database.js';
import { MIGRATIONS } from '../../src/store/migration-source.js';

export const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Test databases older than this are leftovers of an interrupted run. */
const LEFTOVER_AGE_SECONDS = 3600;

/** Named after the migrations' code, so an edited migration gets a fresh template. */
export const TEMPLATE_DB = `ib_tpl_${createHash('sha1')
  .update(MIGRATIONS.map((m) => `${m.name}\n${m.module.up.toString()}\n${m.module.down.toString()}`).join('\n'))
  .digest('hex')
  .slice(0, 12)}`;

export function urlFor(database: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

export function testDatabaseName(random: string): string {
  return `ib_t_${Math.floor(Date.now() / 1000)}_${random}`;
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

let templateReady: Promise<void> | undefined;

/** Creates and migrates the template database unless another test file already did. */
export function ensureTemplate(): Promise<void> {
  return (templateReady ??= withAdminClient(async (client) => {
    await client.query("SELECT pg_advisory_lock(hashtext('identity-bridge test template'))");
    try {
      const existing = await client.query<{ datname: string }>(
        "SELECT datname FROM pg_database WHERE datname LIKE 'ib\\_tpl\\_%' OR datname LIKE 'ib\\_t\\_%'",
      );
      const now = Math.floor(Date.now() / 1000);
      for (const { datname } of existing.rows) {
        const created = /^ib_t_(\d+)_/.exec(datname)?.[1];
        const stale = datname.startsWith('ib_tpl_')
          ? datname !== TEMPLATE_DB
          : created !== undefined && now - Number(created) > LEFTOVER_AGE_SECONDS;
        if (stale) await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(datname)} WITH (FORCE)`);
      }
      // A template is marked complete by its comment, so a half-built one (interrupted run) is rebuilt.
      const ready = await client.query(
        "SELECT 1 FROM pg_database d JOIN pg_shdescription s ON s.objoid = d.oid WHERE d.datname = $1 AND s.description = 'ready'",
        [TEMPLATE_DB],
      );
      if (ready.rowCount === 1) return;
      await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(TEMPLATE_DB)} WITH (FORCE)`);
      await client.query(`CREATE DATABASE ${pg.escapeIdentifier(TEMPLATE_DB)}`);
      const db = openDatabase({ client: 'pg', url: urlFor(TEMPLATE_DB), poolMax: 1 });
      try {
        await migrateLatest(db);
      } finally {
        await db.destroy();
      }
      await client.query(`COMMENT ON DATABASE ${pg.escapeIdentifier(TEMPLATE_DB)} IS 'ready'`);
    } finally {
      await client.query("SELECT pg_advisory_unlock(hashtext('identity-bridge test template'))");
    }
  }));
}
