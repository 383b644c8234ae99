/**
 * Opens the configured database, ready for services: creates a missing PostgreSQL
 * database, applies pending migrations when asked, and returns the store.
 */
import type { DatabaseConfig } from '../config/config.js';
import { ensurePostgresDatabase, migrateLatest, openDatabase, type DatabaseLog } from './database.js';
import { Store } from './store.js';

export interface OpenStoreOptions {
  /** Apply pending migrations before returning. */
  readonly migrate: boolean;
  readonly onMigrated?: (applied: readonly string[]) => void;
  readonly log?: DatabaseLog;
}

export async function openStore(config: DatabaseConfig, options: OpenStoreOptions): Promise<Store> {
  if (config.client === 'pg') await ensurePostgresDatabase(config.url);
  const db = openDatabase(config, options.log);
  try {
    if (options.migrate) {
      const applied = await migrateLatest(db);
      options.onMigrated?.(applied);
    } else {
      await db.raw('select 1');
    }
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return new Store(db);
}
