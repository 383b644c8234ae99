/** userName is unique per org, compared case-insensitively, on both dialects. */
import { CLI_ACTOR } from '../../src/domain/actor.js';
import { ConflictError } from '../../src/domain/errors/index.js';
import type { Services } from '../../src/services.js';
import type { Store } from '../../src/store/store.js';
import { aUser } from '../support/factories.js';
import { createTestStore } from '../support/test-database.js';
import { testServices } from '../support/test-services.js';

describe('userName uniqueness', () => {
  let services: Services;
  let store: Store;
  let close: () => Promise<void>;
  let orgId: string;
  let otherOrgId: string;
  let okta: string;
  let entra: string;

  beforeAll(async () => {
    const t = await createTestStore();
    store = t.store;
    services = testServices(store);
    close = t.close;
    orgId = (await services.organizations.create('Unique', CLI_ACTOR)).id;
    otherOrgId = (await services.organizations.create('Other', CLI_ACTOR)).id;
    okta = (await services.connections.create(orgId, { kind: 'okta', name: 'Okta' }, CLI_ACTOR)).id;
    entra = (await services.connections.create(orgId, { kind: 'entra', name: 'Entra' }, CLI_ACTOR)).id;
  });

  afterAll(async () => {
    await close();
  });

  async function conflictOf(promise: Promise<unknown>): Promise<ConflictError> {
    try {
      await promise;
    } catch (error) {
      if (error instanceof ConflictError) return error;
      throw error;
    }
    throw new Error('expected a ConflictError');
  }

  it('rejects a userName differing only in case within one connection', async () => {
    const users = store.repos.users;
    await users.insert(aUser(orgId, { connectionId: okta, userName: 'Dana.Scully@Example.com' }));
    const error = await conflictOf(
      users.insert(aUser(orgId, { connectionId: okta, userName: 'dana.scully@example.COM' })),
    );
    expect(error.code).toBe('directory.user_name_taken');
    expect(error.status).toBe(409);
  });

  it('rejects a userName taken by another connection of the same org', async () => {
    const users = store.repos.users;
    await users.insert(aUser(orgId, { connectionId: okta, userName: 'fox@example.com' }));
    const error = await conflictOf(users.insert(aUser(orgId, { connectionId: entra, userName: 'FOX@example.com' })));
    expect(error.code).toBe('directory.user_name_taken');
  });

  it('folds non-ASCII case the same way on both dialects', async () => {
    const users = store.repos.users;
    await users.insert(aUser(orgId, { userName: 'ÉMILE@example.com' }));
    const error = await conflictOf(users.insert(aUser(orgId, { userName: 'émile@example.com' })));
    expect(error.code).toBe('directory.user_name_taken');
    expect((await users.findByUserName(orgId, 'Émile@EXAMPLE.com'))?.userName).toBe('ÉMILE@example.com');
  });

  it('rejects a rename onto a taken userName and keeps the user as it was', async () => {
    const users = store.repos.users;
    const walter = aUser(orgId, { userName: 'walter@example.com' });
    await users.insert(walter);
    await users.insert(aUser(orgId, { userName: 'skinner@example.com' }));
    const error = await conflictOf(users.replace({ ...walter, userName: 'Skinner@example.com', version: 2 }));
    expect(error.code).toBe('directory.user_name_taken');
    expect((await users.get(orgId, walter.id))?.userName).toBe('walter@example.com');
  });

  it('allows the same userName in another org', async () => {
    const users = store.repos.users;
    await users.insert(aUser(otherOrgId, { userName: 'dana.scully@example.com' }));
    expect((await users.findByUserName(otherOrgId, 'DANA.SCULLY@example.com'))?.orgId).toBe(otherOrgId);
  });

  it('rejects a duplicate externalId within one connection but not across connections', async () => {
    const users = store.repos.users;
    await users.insert(aUser(orgId, { connectionId: okta, externalId: '00u1' }));
    const error = await conflictOf(users.insert(aUser(orgId, { connectionId: okta, externalId: '00u1' })));
    expect(error.code).toBe('directory.external_id_taken');
    await users.insert(aUser(orgId, { connectionId: entra, externalId: '00u1' }));
  });

  it('keeps a failed insert out of a transaction that rolls back', async () => {
    const before = await store.repos.users.count(orgId);
    const error = await conflictOf(
      store.transaction(async (repos) => {
        await repos.users.insert(aUser(orgId, { userName: 'first-in-tx@example.com' }));
        await repos.users.insert(aUser(orgId, { userName: 'FIRST-in-tx@example.com' }));
      }),
    );
    expect(error.code).toBe('directory.user_name_taken');
    expect(await store.repos.users.count(orgId)).toBe(before);
  });
});
