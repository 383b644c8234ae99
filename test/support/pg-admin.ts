/**
 * The migrated template that test databases of this run are cloned from, built once by
 * whichever test file needs it first (names and the admin connection: pg-run.ts).
 */
import pg from 'pg';
import { migrateLatest, openDatabase } from '../../src/store/database.js';
import { dropDatabase, templateDatabase, urlFor, withAdminClient } from './pg-run.js';

export * from './pg-run.js';

let templateReady: Promise<void> | undefined;

/** Creates and migrates this run's template database unless another test file already did. */
export function ensureTemplate(): Promise<void> {
  const template = templateDatabase();
  return (templateReady ??= withAdminClient(async (client) => {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [template]);
    try {
      // A template is marked complete by its comment, so a half-built one is rebuilt.
      const ready = await client.query(
        "SELECT 1 FROM pg_database d JOIN pg_shdescription s ON s.objoid = d.oid WHERE d.datname = $1 AND s.description = 'ready'",
        [template],
      );
      if (ready.rowCount === 1) return;
      await dropDatabase(client, template);
      await client.query(`CREATE DATABASE ${pg.escapeIdentifier(template)}`);
      const db = openDatabase({ client: 'pg', url: urlFor(template), poolMax: 1 });
      try {
        await migrateLatest(db);
      } finally {
        await db.destroy();
      }
      await client.query(`COMMENT ON DATABASE ${pg.escapeIdentifier(template)} IS 'ready'`);
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [template]);
    }
  }));
}
