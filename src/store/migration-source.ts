/**
 * The migrations, listed explicitly so that the compiled service, the CLI and the test
 * runner load the same modules without scanning directories at run time.
 * A migration is added here and never edited once merged.
 */
import type { Knex } from 'knex';
import * as initialSchema from '../../migrations/20261123190000-initial-schema.js';
import * as scimListingIndexes from '../../migrations/20261123200000-scim-listing-indexes.js';
import * as accessModel from '../../migrations/20261124120000-access-model.js';
import * as adminConsole from '../../migrations/20261201120000-admin-console.js';
import * as rateLimits from '../../migrations/20261201180000-rate-limits.js';
import * as credentialLifecycle from '../../migrations/20261204120000-credential-lifecycle.js';
import * as directorySync from '../../migrations/20261206120000-directory-sync.js';
import * as accessHistoryAndEvents from '../../migrations/20261207120000-access-history-and-events.js';
import * as auditActionIndex from '../../migrations/20261208120000-audit-action-index.js';

interface MigrationModule {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

export const MIGRATIONS: ReadonlyArray<{ readonly name: string; readonly module: MigrationModule }> = [
  { name: '20261123190000-initial-schema', module: initialSchema },
  { name: '20261123200000-scim-listing-indexes', module: scimListingIndexes },
  { name: '20261124120000-access-model', module: accessModel },
  { name: '20261201120000-admin-console', module: adminConsole },
  { name: '20261201180000-rate-limits', module: rateLimits },
  { name: '20261204120000-credential-lifecycle', module: credentialLifecycle },
  { name: '20261206120000-directory-sync', module: directorySync },
  { name: '20261207120000-access-history-and-events', module: accessHistoryAndEvents },
  { name: '20261208120000-audit-action-index', module: auditActionIndex },
];

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: () => Promise.resolve(MIGRATIONS.map((m) => m.name)),
  getMigrationName: (name) => name,
  getMigration: (name) => {
    const found = MIGRATIONS.find((m) => m.name === name);
    if (!found) return Promise.reject(new Error(`Unknown migration ${name}`));
    return Promise.resolve(found.module);
  },
};

export const MIGRATION_CONFIG: Knex.MigratorConfig = {
  migrationSource,
  tableName: 'knex_migrations',
};
