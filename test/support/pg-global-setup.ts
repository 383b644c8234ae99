/** Builds the migrated template database the PostgreSQL integration files clone, and drops leftovers of earlier runs. */
import pg from 'pg';
import { migrateLatest, openDatabase } from '../../src/store/database.js';
import { TEMPLATE_DB, urlFor, withAdminClient } from './pg-admin.js';

export default async function globalSetup(): Promise<void> {
  await withAdminClient(async (client) => {
    const stale = await client.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE datname LIKE 'ib\\_t\\_%' OR datname LIKE 'ib\\_tpl\\_%'",
    );
    for (const { datname } of stale.rows) {
      await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(datname)} WITH (FORCE)`);
    }
    await client.query(`CREATE DATABASE ${pg.escapeIdentifier(TEMPLATE_DB)}`);
  });
  const db = openDatabase({ client: 'pg', url: urlFor(TEMPLATE_DB), poolMax: 2 });
  try {
    await migrateLatest(db);
  } finally {
    await db.destroy();
  }
}
