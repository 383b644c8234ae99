/**
 * Opens the database for one CLI command and closes it afterwards. On SQLite pending
 * migrations are applied (as `npm start` does); on PostgreSQL a pending migration stops
 * the command with the fix (`identity-bridge migrate`).
 */
import type { Config } from '../config/config.js';
import { createServices, type Services } from '../services.js';
import { migrationStatus } from '../store/database.js';
import { openStore } from '../store/open-store.js';

export class CliFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export async function withServices<T>(config: Config, work: (services: Services) => Promise<T>): Promise<T> {
  const store = await openStore(config.database, { migrate: config.database.client === 'sqlite' });
  try {
    if (config.database.client === 'pg') {
      const { pending } = await migrationStatus(store.db);
      if (pending.length > 0) {
        throw new CliFailure(
          `The database schema is not up to date (${pending.length} pending migration(s)): run \`identity-bridge migrate\``,
          1,
        );
      }
    }
    return await work(createServices(store, undefined, config.publicUrl));
  } finally {
    await store.close();
  }
}
