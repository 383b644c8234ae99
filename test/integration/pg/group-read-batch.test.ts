/**
 * Group reads (`GET /Groups/{id}`, with and without members) that arrive together are read
 * in one statement on PostgreSQL (store/group-read.ts): each gets its own group and
 * members, an org never reads another org's group, and an unknown id stays not found.
 */
import { CLI_ACTOR } from '../../../src/domain/actor.js';
import { NotFoundError } from '../../../src/domain/errors/index.js';
import type { Services } from '../../../src/services.js';
import type { Store } from '../../../src/store/store.js';
import { readGroupRow, readGroupRows } from '../../../src/store/group-read.js';
import { aUser } from '../../support/factories.js';
import { createTestStore } from '../../support/test-database.js';
import { testServices } from '../../support/test-services.js';

describe('group reads read together', () => {
  let services: Services;
  let store: Store;
  let close: () => Promise<void>;
  const orgs: Array<{ scope: { orgId: string; connectionId: string }; groups: string[]; members: string[][] }> = [];

  beforeAll(async () => {
    const t = await createTestStore();
    close = t.close;
    store = t.store;
    services = testServices(store);
    for (const name of ['Acme', 'Globex']) {
      const org = await services.organizations.create(name, CLI_ACTOR);
      const connection = await services.connections.create(org.id, { kind: 'okta', name: 'Okta' }, CLI_ACTOR);
      const scope = { orgId: org.id, connectionId: connection.id };
      const users: string[] = [];
      for (let i = 0; i < 4; i++) {
        const { id, orgId, connectionId, version, createdAt, updatedAt, ...input } = aUser(org.id, {
          userName: `${name.toLowerCase()}${i}@example.com`,
        });
        users.push((await services.users.create(scope, input, CLI_ACTOR)).id);
      }
      const groups: string[] = [];
      const members: string[][] = [];
      for (let g = 0; g < 3; g++) {
        const ids = users.slice(0, g + 1);
        groups.push(
          (await services.groups.create(scope, { displayName: `${name} ${g}`, externalId: null }, ids, CLI_ACTOR)).group
            .id,
        );
        members.push([...ids].sort());
      }
      orgs.push({ scope, groups, members });
    }
  });

  afterAll(async () => {
    await close();
  });

  it('answers each of many concurrent reads with its own group and members, and refuses other orgs’ groups', async () => {
    const asks = Array.from({ length: 36 }, (_, i) => ({
      org: i % 2,
      group: i % 3,
      other: i % 4 === 3,
      members: i % 5 !== 0,
    }));
    const answers = await Promise.allSettled(
      asks.map((a) => {
        const scope = orgs[a.org]!.scope;
        const id = orgs[a.other ? 1 - a.org : a.org]!.groups[a.group]!;
        return a.members
          ? services.groups.getWithMembers(scope, id)
          : services.groups.get(scope, id).then((group) => ({ group }));
      }),
    );
    asks.forEach((a, i) => {
      const answer = answers[i]!;
      if (a.other) {
        expect(answer.status).toBe('rejected');
        expect((answer as PromiseRejectedResult).reason).toBeInstanceOf(NotFoundError);
        return;
      }
      expect(answer.status).toBe('fulfilled');
      const value = (answer as PromiseFulfilledResult<{ group: { id: string }; members?: Array<{ id: string }> }>)
        .value;
      expect(value.group.id).toBe(orgs[a.org]!.groups[a.group]);
      if (a.members) expect(value.members!.map((m) => m.id).sort()).toEqual(orgs[a.org]!.members[a.group]);
    });
  });

  it.each([false, true])(
    'gives the same rows in one statement as one by one, in the order asked (members: %s)',
    async (withMembers) => {
      const keys = [
        { orgId: orgs[1]!.scope.orgId, id: orgs[1]!.groups[2]! },
        { orgId: orgs[0]!.scope.orgId, id: 'no-such-group' },
        { orgId: orgs[0]!.scope.orgId, id: orgs[1]!.groups[0]! },
        { orgId: orgs[0]!.scope.orgId, id: orgs[0]!.groups[1]! },
      ];
      const together = await readGroupRows(store.db, withMembers, keys);
      expect(together.map((r) => r?.id)).toEqual([orgs[1]!.groups[2], undefined, undefined, orgs[0]!.groups[1]]);
      const oneByOne = await Promise.all(keys.map((k) => readGroupRow(store.db, true, withMembers, k)));
      expect(together.map((r) => r && { ...r, read_n: undefined })).toEqual(
        oneByOne.map((r) => r && { ...r, read_n: undefined }),
      );
      if (withMembers) {
        const members = together[0]!.members as Array<{ id: string }>;
        expect(members.map((m) => m.id).sort()).toEqual(orgs[1]!.members[2]);
      }
    },
  );

  it('runs the service’s statements with JIT off (a batch estimate must not buy 400 ms of compiling)', async () => {
    const result = (await store.db.raw('SHOW jit')) as { rows: Array<{ jit: string }> };
    expect(result.rows[0]!.jit).toBe('off');
  });
});
