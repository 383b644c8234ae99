import { migrateLatest, migrateRollback, migrationStatus, openDatabase, type Db } from '../../src/store/database.js';
import { MIGRATIONS } from '../../src/store/migration-source.js';
import { rejectionOf } from '../support/rejection.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

async function tableNames(db: Db, dialect: 'pg' | 'sqlite'): Promise<string[]> {
  if (dialect === 'pg') {
    const r = await db.raw<{ rows: Array<{ tablename: string }> }>(
      "select tablename from pg_tables where schemaname = 'public' and tablename not like 'knex_%'",
    );
    return r.rows.map((x) => x.tablename).sort();
  }
  const rows = await db.raw<Array<{ name: string }>>(
    "select name from sqlite_master where type = 'table' and name not like 'knex_%' and name not like 'sqlite_%'",
  );
  return rows.map((x) => x.name).sort();
}

describe('migrations', () => {
  let database: TestDatabase;
  let db: Db;

  beforeAll(async () => {
    database = await createTestDatabase({ migrated: false });
    db = openDatabase(database.config);
  });

  afterAll(async () => {
    await db.destroy();
    await database.drop();
  });

  it('run up, down and up again, leaving the same tables', async () => {
    expect(await migrateLatest(db)).toEqual(MIGRATIONS.map((m) => m.name));
    const afterFirstUp = await tableNames(db, database.dialect);
    expect(afterFirstUp).toEqual(
      expect.arrayContaining([
        'organizations',
        'directory_users',
        'group_memberships',
        'team_memberships',
        'audit_events',
      ]),
    );

    await migrateRollback(db, true);
    expect(await tableNames(db, database.dialect)).toEqual([]);
    expect((await migrationStatus(db)).pending).toHaveLength(MIGRATIONS.length);

    await migrateLatest(db);
    expect(await tableNames(db, database.dialect)).toEqual(afterFirstUp);
    expect(await migrationStatus(db)).toEqual({ applied: MIGRATIONS.map((m) => m.name), pending: [] });
  });

  it('enforce foreign keys (deleting an org removes its rows)', async () => {
    const at = new Date().toISOString();
    await db('organizations').insert({ id: 'o1', slug: 'o1', name: 'O1', created_at: at, updated_at: at });
    await db('connections').insert({
      id: 'c1',
      org_id: 'o1',
      kind: 'okta',
      name: 'Okta',
      name_lower: 'okta',
      created_at: at,
      updated_at: at,
    });
    const error = await rejectionOf(
      db('connections').insert({
        id: 'c2',
        org_id: 'missing',
        kind: 'okta',
        name: 'x',
        name_lower: 'x',
        created_at: at,
        updated_at: at,
      }),
    );
    expect(error.message).toMatch(/foreign key/i);
    await db('organizations').where({ id: 'o1' }).delete();
    expect(await db('connections').count({ n: '*' })).toEqual([{ n: 0 }]);
  });
});
