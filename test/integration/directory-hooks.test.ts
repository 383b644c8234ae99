/** Every directory write calls the access hook inside its own transaction: the hook sees the change, and a hook failure undoes it. */
import { CLI_ACTOR } from '../../src/domain/actor.js';
import type { DirectoryChange, DirectoryHooks } from '../../src/directory/hooks.js';
import type { Services } from '../../src/services.js';
import type { Store } from '../../src/store/store.js';
import { aUser } from '../support/factories.js';
import { createTestStore } from '../support/test-database.js';
import { testServices } from '../support/test-services.js';

describe('directory access hook', () => {
  let services: Services;
  let store: Store;
  let close: () => Promise<void>;
  let scope: { orgId: string; connectionId: string };
  const seen: Array<{ change: DirectoryChange; userCount: number }> = [];
  let failNext = false;

  beforeAll(async () => {
    const t = await createTestStore();
    close = t.close;
    const hooks: DirectoryHooks = {
      afterChange: async (repos, orgId, change) => {
        seen.push({ change, userCount: await repos.users.count(orgId) });
        if (failNext) {
          failNext = false;
          throw new Error('recomputation failed');
        }
      },
    };
    store = t.store;
    services = testServices(store, { hooks });
    const org = await services.organizations.create('Hooks', CLI_ACTOR);
    const connection = await services.connections.create(org.id, { kind: 'okta', name: 'Okta' }, CLI_ACTOR);
    scope = { orgId: org.id, connectionId: connection.id };
  });

  afterAll(async () => {
    await close();
  });

  function input(userName: string): Parameters<Services['users']['create']>[1] {
    const { id, orgId, connectionId, version, createdAt, updatedAt, ...rest } = aUser(scope.orgId, { userName });
    return rest;
  }

  it('sees each change from inside its transaction', async () => {
    const user = await services.users.create(scope, input('seen@example.com'), CLI_ACTOR);
    expect(seen.at(-1)).toEqual({ change: { kind: 'users_created', userIds: [user.id] }, userCount: 1 });
    const { group } = await services.groups.create(scope, { displayName: 'G', externalId: null }, [user.id], CLI_ACTOR);
    expect(seen.slice(-2).map((s) => s.change)).toEqual([
      { kind: 'groups_created', groupIds: [group.id] },
      {
        kind: 'members_changed',
        groupId: group.id,
        added: [user.id],
        removed: [],
        names: new Map([[user.id, 'seen@example.com']]),
      },
    ]);
    await services.groups.delete(scope, group.id, {}, CLI_ACTOR);
    expect(seen.at(-1)!.change).toEqual({ kind: 'group_deleted', groupId: group.id, formerMemberIds: [user.id] });
  });

  it('undoes the write, its audit event and its side effects when the hook fails', async () => {
    const before = await store.repos.users.count(scope.orgId);
    const auditBefore = (await store.repos.audit.list(scope.orgId, { limit: 1000 })).length;
    failNext = true;
    await expect(services.users.create(scope, input('undone@example.com'), CLI_ACTOR)).rejects.toThrow(
      'recomputation failed',
    );
    expect(await store.repos.users.count(scope.orgId)).toBe(before);
    expect((await store.repos.audit.list(scope.orgId, { limit: 1000 })).length).toBe(auditBefore);
  });
});
