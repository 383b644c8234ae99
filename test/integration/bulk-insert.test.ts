/** Many rows into one table in one call, on both databases: past SQLite's 500-term compound SELECT and PostgreSQL's batch. */
import { CLI_ACTOR } from '../../src/domain/actor.js';
import type { UserInput } from '../../src/domain/directory.js';
import type { Store } from '../../src/store/store.js';
import { aUser } from '../support/factories.js';
import { createTestStore } from '../support/test-database.js';
import { testServices } from '../support/test-services.js';

describe('bulk inserts', () => {
  let store: Store;
  let close: () => Promise<void>;

  beforeAll(async () => {
    const t = await createTestStore();
    store = t.store;
    close = t.close;
  });

  afterAll(async () => {
    await close();
  });

  it('creates a page of 1,200 users with their 1,200 created events in one call', async () => {
    const services = testServices(store, { events: true });
    const org = await services.organizations.create('Bulk', CLI_ACTOR);
    const connection = await services.connections.create(org.id, { kind: 'okta', name: 'Okta' }, CLI_ACTOR);
    const inputs: UserInput[] = Array.from({ length: 1200 }, (_, i) => {
      const { id, orgId, connectionId, version, createdAt, updatedAt, ...input } = aUser(org.id, {
        userName: `bulk${i}@example.com`,
      });
      return input;
    });
    const { created, refused } = await services.users.createMany(
      { orgId: org.id, connectionId: connection.id },
      inputs,
      CLI_ACTOR,
    );
    expect(refused).toEqual([]);
    expect(created).toHaveLength(1200);
    const [row] = (await store.db('events').where({ org_id: org.id, type: 'user.created' }).count('* as n')) as Array<{
      n: unknown;
    }>;
    expect(Number(row!.n)).toBe(1200);
  });
});
