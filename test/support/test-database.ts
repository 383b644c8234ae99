/**
 * A database of its own for one integration test file, on the dialect the Jest project
 * selects: PostgreSQL (a clone of the migrated template, or an empty one) or a SQLite file.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { DatabaseConfig } from '../../src/config/config.js';
import { migrateLatest, openDatabase, type Dialect } from '../../src/store/database.js';
import { Store } from '../../src/store/store.js';
import {
  dropDatabase,
  ensureTemplate,
  templateDatabase,
  testDatabaseName,
  urlFor,
  withAdminClient,
} from './pg-admin.js';

export function testDialect(): Dialect {
  const d = process.env.IB_TEST_DIALECT;
  if (d !== 'pg' && d !== 'sqlite')
    throw new Error('IB_TEST_DIALECT is not set: run integration tests through Jest projects');
  return d;
}

export interface TestDatabase {
  readonly dialect: Dialect;
  readonly config: DatabaseConfig;
  /** The DATABASE_URL that selects this database. */
  readonly url: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(options: { migrated: boolean } = { migrated: true }): Promise<TestDatabase> {
  const dialect = testDialect();
  const name = testDatabaseName(randomBytes(4).toString('hex'));
  if (dialect === 'pg') {
    if (options.migrated) await ensureTemplate();
    await withAdminClient(async (client) => {
      const template = options.migrated ? ` TEMPLATE ${pg.escapeIdentifier(templateDatabase())}` : '';
      for (let attempt = 0; ; attempt++) {
        try {
          await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}${template}`);
          return;
        } catch (error) {
          // Two clones of one template at the same instant can collide; try again shortly.
          if (attempt >= 10 || !/being accessed by other users/.test((error as Error).message)) throw error;
          await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
        }
      }
    });
    const url = urlFor(name);
    return {
      dialect,
      url,
      config: { client: 'pg', url, poolMax: 5 },
      drop: () => withAdminClient((c) => dropDatabase(c, name)),
    };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ib-test-'));
  const filename = path.join(dir, `${name}.sqlite`);
  const config: DatabaseConfig = { client: 'sqlite', filename };
  if (options.migrated) {
    const db = openDatabase(config);
    await migrateLatest(db);
    await db.destroy();
  }
  return {
    dialect,
    url: filename,
    config,
    drop: async () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** A migrated database of its own and a store on it; `close` destroys both. */
export async function createTestStore(): Promise<{ store: Store; database: TestDatabase; close(): Promise<void> }> {
  const database = await createTestDatabase();
  const store = new Store(openDatabase(database.config));
  return {
    store,
    database,
    close: async () => {
      await store.db.destroy();
      await database.drop();
    },
  };
}
