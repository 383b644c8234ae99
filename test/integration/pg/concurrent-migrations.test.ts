/** Instances booting together on one empty PostgreSQL database take turns migrating: it is migrated once. */
import { migrateLatest, migrationStatus, openDatabase } from '../../../src/store/database.js';
import { MIGRATIONS } from '../../../src/store/migration-source.js';
import { createTestDatabase, type TestDatabase } from '../../support/test-database.js';

describe('migrations from several booting instances', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase({ migrated: false });
  });

  afterAll(async () => {
    await database.drop();
  });

  it('apply every migration once, the others waiting for the advisory lock and finding nothing to do', async () => {
    const instances = [1, 2, 3].map(() => openDatabase(database.config));
    try {
      const applied = await Promise.all(instances.map((db) => migrateLatest(db)));
      const sorted = applied.map((a) => a.length).sort((a, b) => a - b);
      expect(sorted).toEqual([0, 0, MIGRATIONS.length]);
      expect(await migrationStatus(instances[0]!)).toEqual({ applied: MIGRATIONS.map((m) => m.name), pending: [] });
    } finally {
      await Promise.all(instances.map((db) => db.destroy()));
    }
  });
});
