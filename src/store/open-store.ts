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

/** The database as migrations need it: no statement deadline (building an index on a big table takes what it takes). */
export function withoutStatementTimeout(config: DatabaseConfig): DatabaseConfig {
  return { ...config, statementTimeoutMs: undefined };
}

export async function openStore(config: DatabaseConfig, options: OpenStoreOptions): Promise<Store> {
  if (config.client === 'pg') await ensurePostgresDatabase(config.url);
  if (options.migrate && config.client === 'pg') {
    const migrator = openDatabase({ ...config, statementTimeoutMs: undefined, poolMax: 1 }, options.log);
    try {
      const applied = await migrateLatest(migrator);
      options.onMigrated?.(applied);
    } finally {
      await migrator.destroy();
    }
  }
  const db = openDatabase(config, options.log);
  try {
    if (options.migrate && config.client === 'sqlite') {
      const applied = await migrateLatest(db);
      options.onMigrated?.(applied);
    } else {
      await db.raw('select 1');
    }
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return new Store(db, { statementTimeoutMs: config.statementTimeoutMs });
}
