/**
 * `userName eq` lookups that arrive together are read in one statement on PostgreSQL
 * (store/user-name-lookup.ts): each still gets its own answer, scoped to its own org and
 * connection, case-insensitively, and a miss stays a miss.
 */
import { CLI_ACTOR } from '../../../src/domain/actor.js';
import type { Services } from '../../../src/services.js';
import type { Store } from '../../../src/store/store.js';
import { lookUpUserNames } from '../../../src/store/user-name-lookup.js';
import { aUser } from '../../support/factories.js';
import { createTestStore } from '../../support/test-database.js';
import { testServices } from '../../support/test-services.js';

describe('userName lookups read together', () => {
  let services: Services;
  let store: Store;
  let close: () => Promise<void>;
  const scopes: Array<{ orgId: string; connectionId: string }> = [];
  const ids = new Map<string, string>();

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
        scopes.push(scope);
        // The same userName in every org; within an org, userNames are unique across connections.
        const userName = kind === 'okta' ? 'dana@example.com' : 'lee@example.com';
        const { id, orgId, connectionId, version, createdAt, updatedAt, ...input } = aUser(org.id, { userName });
        const user = await services.users.create(scope, input, CLI_ACTOR);
        ids.set(`${scopes.length - 1}:${userName}`, user.id);
      }
    }
    const group = await services.groups.create(
      scopes[0]!,
      { displayName: 'Readers', externalId: null },
      [ids.get('0:dana@example.com')!],
      CLI_ACTOR,
    );
    ids.set('group', group.group.id);
  });

  afterAll(async () => {
    await close();
  });

  it('answers each of many concurrent lookups with its own connection’s user, or none', async () => {
    const asks = Array.from({ length: 40 }, (_, i) => {
      const scope = i % scopes.length;
      const name = ['DANA@example.com', 'lee@EXAMPLE.com', 'nobody@example.com'][i % 3]!;
      return { scope, name };
    });
    const answers = await Promise.all(asks.map((a) => services.users.findByUserName(scopes[a.scope]!, a.name, true)));
    asks.forEach((a, i) => {
      const expected = ids.get(`${a.scope}:${a.name.toLowerCase()}`);
      expect(answers[i]?.user.id).toBe(expected);
      if (expected) expect(answers[i]!.user.connectionId).toBe(scopes[a.scope]!.connectionId);
    });
    const dana = answers.find((_, i) => asks[i]!.scope === 0 && asks[i]!.name.startsWith('DANA'));
    expect(dana?.groups).toEqual([{ id: ids.get('group'), displayName: 'Readers' }]);
  });

  it('gives the same answers in one statement as one by one, in the order asked', async () => {
    const lookups = [
      { ...scopes[1]!, userNameLower: 'lee@example.com' },
      { ...scopes[0]!, userNameLower: 'nobody@example.com' },
      { ...scopes[0]!, userNameLower: 'dana@example.com' },
      { ...scopes[2]!, userNameLower: 'lee@example.com' },
      { ...scopes[3]!, userNameLower: 'dana@example.com' },
    ];
    const together = await lookUpUserNames(store.db, true, lookups);
    const oneByOne = await Promise.all(lookups.map((l) => services.users.findByUserName(l, l.userNameLower, true)));
    expect(together.map((f) => f?.user.id)).toEqual([
      ids.get('1:lee@example.com'),
      undefined,
      ids.get('0:dana@example.com'),
      undefined,
      undefined,
    ]);
    expect(together).toEqual(oneByOne);
  });
});
