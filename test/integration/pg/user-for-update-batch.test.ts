/**
 * The reads before users' one-statement updates that arrive together are read in one
 * statement on PostgreSQL (store/user-for-update-read.ts): each gets its own user with its
 * values and groups, scoped to its own org and connection, and a miss stays a miss. The
 * reads of `GET /Users/{id}` take the same way with up to two statements in flight.
 */
import { CLI_ACTOR } from '../../../src/domain/actor.js';
import type { Services } from '../../../src/services.js';
import type { Store } from '../../../src/store/store.js';
import { readUsersForUpdate, type UserKey } from '../../../src/store/user-for-update-read.js';
import { readUserForUpdate } from '../../../src/store/user-update-statement.js';
import { aUser } from '../../support/factories.js';
import { createTestStore } from '../../support/test-database.js';
import { testServices } from '../../support/test-services.js';

describe('reads for user updates read together', () => {
  let services: Services;
  let store: Store;
  let close: () => Promise<void>;
  const scopes: Array<{ orgId: string; connectionId: string }> = [];
  /** Users by scope index. */
  const users: string[][] = [];

  beforeAll(async () => {
    const t = await createTestStore();
    close = t.close;
    store = t.store;
    services = testServices(store);
    for (const name of ['Acme', 'Globex']) {
      const org = await services.organizations.create(name, CLI_ACTOR);
      for (const kind of ['okta', 'entra'] as const) {
        const connection = await services.connections.create(org.id, { kind, name: kind }, CLI_ACTOR);
        const scope = { orgId: org.id, connectionId: connection.id };
        const ids: string[] = [];
        for (let i = 0; i < 4; i++) {
          const { id, orgId, connectionId, version, createdAt, updatedAt, ...input } = aUser(org.id, {
            userName: `${kind}-${i}@example.com`,
          });
          ids.push((await services.users.create(scope, input, CLI_ACTOR)).id);
        }
        await services.groups.create(scope, { displayName: `${kind} readers`, externalId: null }, [ids[0]!], CLI_ACTOR);
        scopes.push(scope);
        users.push(ids);
      }
    }
  });

  afterAll(async () => {
    await close();
  });

  it('gives the same answers in one statement as one by one, in the order asked, a user of another connection or org a miss', async () => {
    const keys: UserKey[] = [
      { ...scopes[0]!, id: users[0]![0]! },
      { ...scopes[1]!, id: users[0]![1]! }, // Acme's other connection: not its user
      { ...scopes[3]!, id: users[3]![2]! },
      { ...scopes[2]!, id: users[0]![0]! }, // another org
      { ...scopes[1]!, id: users[1]![3]! },
    ];
    const together = await readUsersForUpdate(store.db, keys);
    const oneByOne = await Promise.all(keys.map((k) => readUserForUpdate(store.db, k.orgId, k.connectionId, k.id)));
    expect(together.map((r) => r?.user.id)).toEqual([users[0]![0], undefined, users[3]![2], undefined, users[1]![3]]);
    expect(together[0]!.groups).toEqual([{ id: expect.any(String), displayName: 'okta readers' }]);
    expect(together).toEqual(oneByOne);
  });

  it('answers forty concurrent reads by id, two statements in flight, each with its own connection’s user or none', async () => {
    const asks = Array.from({ length: 40 }, (_, i) => ({
      scope: i % scopes.length,
      owner: (i + (i % 3 === 0 ? 1 : 0)) % scopes.length,
      n: i % 4,
    }));
    const answers = await Promise.all(
      asks.map((a) => {
        const scope = scopes[a.scope]!;
        return store.readUser(scope.orgId, scope.connectionId, users[a.owner]![a.n]!);
      }),
    );
    expect(answers.map((r) => r?.user.id)).toEqual(
      asks.map((a) => (a.owner === a.scope ? users[a.owner]![a.n] : undefined)),
    );
    for (const [i, r] of answers.entries()) {
      if (r)
        expect(r.groups).toEqual(
          asks[i]!.n === 0 ? [{ id: expect.any(String), displayName: expect.stringMatching(/ readers$/) }] : [],
        );
    }
  });

  it('deactivates sixteen users of four connections at once, each exactly', async () => {
    const all = scopes.flatMap((scope, s) => users[s]!.map((id) => ({ scope, id })));
    const done = await Promise.all(
      all.map(({ scope, id }) =>
        services.users.update(scope, id, (current) => ({ ...current, active: false }), {}, CLI_ACTOR),
      ),
    );
    expect(done.map((u) => [u.id, u.active, u.version])).toEqual(all.map(({ id }) => [id, false, 2]));
    for (const { scope, id } of all) {
      const read = await readUserForUpdate(store.db, scope.orgId, scope.connectionId, id);
      expect(read?.user.active).toBe(false);
    }
  });
});
