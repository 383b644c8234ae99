/**
 * A one-member add or remove (what Okta and Entra send all day) leaves the same rows, audit
 * event and outbox event whichever way it is written: in one statement (PostgreSQL, a group
 * no mapping names) or as the transaction (SQLite, a mapped group, or an If-Match). Each case
 * runs both ways on twin groups and compares what they wrote.
 */
import { CLI_ACTOR } from '../../src/domain/actor.js';
import { NotFoundError } from '../../src/domain/errors/index.js';
import type { MemberStep } from '../../src/directory/group-directory.js';
import type { Services } from '../../src/services.js';
import type { Store } from '../../src/store/store.js';
import { aUser } from '../support/factories.js';
import { createTestStore } from '../support/test-database.js';
import { testServices } from '../support/test-services.js';

type Json = Record<string, unknown>;

describe('membership steps written in one statement', () => {
  let services: Services;
  let store: Store;
  let close: () => Promise<void>;
  let scope: { orgId: string; connectionId: string };
  let other: { orgId: string; connectionId: string };
  const users: Array<{ id: string; userName: string }> = [];

  beforeAll(async () => {
    const t = await createTestStore();
    close = t.close;
    store = t.store;
    services = testServices(store, { events: true });
    const org = await services.organizations.create('Steps', CLI_ACTOR);
    const connection = await services.connections.create(org.id, { kind: 'okta', name: 'Okta' }, CLI_ACTOR);
    const second = await services.connections.create(org.id, { kind: 'entra', name: 'Entra' }, CLI_ACTOR);
    scope = { orgId: org.id, connectionId: connection.id };
    other = { orgId: org.id, connectionId: second.id };
    for (let i = 0; i < 12; i++) {
      const { id, orgId, connectionId, version, createdAt, updatedAt, ...input } = aUser(org.id, {
        userName: `member${i}@example.com`,
      });
      const user = await services.users.create(scope, input, CLI_ACTOR);
      users.push({ id: user.id, userName: user.userName });
    }
  });

  afterAll(async () => {
    await close();
  });

  async function group(name: string, members: string[] = []): Promise<string> {
    const created = await services.groups.create(scope, { displayName: name, externalId: null }, members, CLI_ACTOR);
    return created.group.id;
  }

  /** What a change of the group wrote: the audit data and outbox events after `since` (ids and times left out). */
  async function written(groupId: string, since: number, afterSeq = 0): Promise<{ audit: Json[]; events: Json[] }> {
    const audit = (await store.repos.audit.list(scope.orgId, { targetId: groupId, limit: 100 }))
      .filter((e) => e.action === 'group.members_changed' && Date.parse(e.occurredAt) >= since)
      .map((e) => ({ action: e.action, label: e.targetLabel, actor: e.actorLabel, data: e.data }));
    const rows: Array<{ type: string; data: unknown; occurred_at: unknown }> = await store
      .db('events')
      .where({ org_id: scope.orgId })
      .whereIn('type', ['group.members_added', 'group.members_removed'])
      .andWhere('seq', '>', afterSeq)
      .orderBy('seq');
    const events = rows
      .map((r) => ({ type: r.type, data: (typeof r.data === 'string' ? JSON.parse(r.data) : r.data) as Json }))
      .filter((e) => (e.data.group as Json).id === groupId)
      .map((e) => ({ type: e.type, users: e.data.users, count: e.data.count, actor: e.data.actor }));
    return { audit, events };
  }

  async function lastSeq(): Promise<number> {
    const row = (await store.db('events').max('seq as seq').first()) as { seq: unknown } | undefined;
    return Number(row?.seq ?? 0);
  }

  /** Runs the step on a group the fast way and on its twin the transactional way (If-Match); returns both. */
  async function bothWays(step: MemberStep, members: string[] = []) {
    const fast = await group(`Fast ${Math.random()}`, members);
    const slow = await group(`Slow ${Math.random()}`, members);
    const since = Date.now() - 1000;
    const afterSeq = await lastSeq();
    let a = await services.groups.change(scope, fast, { members: [step] }, {}, CLI_ACTOR);
    const current = await services.groups.get(scope, slow);
    let b = await services.groups.change(scope, slow, { members: [step] }, { ifMatch: current.version }, CLI_ACTOR);
    const strip = (w: { audit: Json[]; events: Json[] }) => ({
      audit: w.audit.map(({ label: _l, ...rest }) => rest),
      events: w.events,
    });
    const delta = (r: typeof a) => ({ added: r.delta.added, removed: r.delta.removed, unknown: r.delta.unknown });
    a = { ...a, delta: delta(a) };
    b = { ...b, delta: delta(b) };
    return {
      fast: {
        result: a,
        written: strip(await written(fast, since, afterSeq)),
        members: await store.repos.groups.memberIds(scope.orgId, fast),
      },
      slow: {
        result: b,
        written: strip(await written(slow, since, afterSeq)),
        members: await store.repos.groups.memberIds(scope.orgId, slow),
      },
    };
  }

  it('adds one member with the same membership, version, audit event and outbox event as the transaction', async () => {
    const { fast, slow } = await bothWays({ op: 'add', userIds: [users[0]!.id] }, [users[1]!.id]);
    expect(fast.members.sort()).toEqual([users[0]!.id, users[1]!.id].sort());
    expect(fast.members.sort()).toEqual(slow.members.sort());
    expect(fast.result.delta).toEqual(slow.result.delta);
    expect(fast.result.delta.added).toEqual([users[0]!.id]);
    expect(fast.result.group.version).toBe(slow.result.group.version);
    expect(fast.written).toEqual(slow.written);
    expect(fast.written.audit).toEqual([
      {
        action: 'group.members_changed',
        actor: CLI_ACTOR.label,
        data: { added: 1, removed: 0, addedUsers: ['member0@example.com'], removedUsers: [], unknownMembers: 0 },
      },
    ]);
    expect(fast.written.events).toEqual([
      {
        type: 'group.members_added',
        users: [{ id: users[0]!.id, userName: 'member0@example.com' }],
        count: 1,
        actor: expect.objectContaining({ label: CLI_ACTOR.label }),
      },
    ]);
  });

  it('removes one member (Entra) the same way as the transaction', async () => {
    const { fast, slow } = await bothWays({ op: 'remove', userIds: [users[2]!.id] }, [users[2]!.id, users[3]!.id]);
    expect(fast.members).toEqual([users[3]!.id]);
    expect(slow.members).toEqual([users[3]!.id]);
    expect(fast.result.delta).toEqual({ added: [], removed: [users[2]!.id], unknown: [] });
    expect(fast.result.group.version).toBe(slow.result.group.version);
    expect(fast.written).toEqual(slow.written);
    expect(fast.written.events.map((e) => e.type)).toEqual(['group.members_removed']);
  });

  it('changes nothing, audits nothing and bumps no version when the member is already there', async () => {
    const { fast, slow } = await bothWays({ op: 'add', userIds: [users[4]!.id] }, [users[4]!.id]);
    expect(fast.result.group.version).toBe(1);
    expect(slow.result.group.version).toBe(1);
    expect(fast.result.delta.added).toEqual([]);
    expect(fast.written).toEqual({ audit: [], events: [] });
    expect(slow.written).toEqual({ audit: [], events: [] });
  });

  it('skips and audits an id that is no user of the connection, with no event and no version bump', async () => {
    const { fast, slow } = await bothWays({ op: 'add', userIds: ['no-such-user', users[5]!.id] });
    expect(fast.result.delta).toEqual({ added: [users[5]!.id], removed: [], unknown: ['no-such-user'] });
    expect(fast.result.delta).toEqual(slow.result.delta);
    expect(fast.written).toEqual(slow.written);
    expect(fast.written.audit[0]!.data).toMatchObject({ added: 1, unknownMembers: 1 });

    const onlyUnknown = await bothWays({ op: 'add', userIds: ['no-such-user'] });
    expect(onlyUnknown.fast.result.group.version).toBe(1);
    expect(onlyUnknown.fast.written).toEqual(onlyUnknown.slow.written);
    expect(onlyUnknown.fast.written.audit[0]!.data).toMatchObject({ added: 0, unknownMembers: 1 });
    expect(onlyUnknown.fast.written.events).toEqual([]);
  });

  it('refuses a group of another connection as not found, writing nothing', async () => {
    const id = await group('Okta only');
    await expect(
      services.groups.change(other, id, { members: [{ op: 'add', userIds: [users[6]!.id] }] }, {}, CLI_ACTOR),
    ).rejects.toBeInstanceOf(NotFoundError);
    expect(await store.repos.groups.memberIds(scope.orgId, id)).toEqual([]);
    expect((await services.groups.get(scope, id)).version).toBe(1);
  });

  it('brings teams in step for a group a mapping names (the change takes the transaction)', async () => {
    const id = await group('Mapped writers');
    await services.teams.create(scope.orgId, { name: 'writers', scopes: ['ci:read-update'] }, CLI_ACTOR);
    await services.mappings.create(
      scope.orgId,
      { connectionId: scope.connectionId, group: id, teams: ['writers'] },
      CLI_ACTOR,
    );
    const { delta, group: after } = await services.groups.change(
      scope,
      id,
      { members: [{ op: 'add', userIds: [users[7]!.id] }] },
      {},
      CLI_ACTOR,
    );
    expect(delta.added).toEqual([users[7]!.id]);
    expect(after.version).toBe(2);
    const teams: Array<{ user_id: string }> = await store
      .db('team_memberships')
      .where({ org_id: scope.orgId, user_id: users[7]!.id });
    expect(teams).toHaveLength(1);
    const history = await services.accessHistory.list(scope.orgId, users[7]!.id, { limit: 10 });
    expect(history.items.length).toBeGreaterThan(0);
  });

  it('loses no member and counts every version when many one-member adds hit one group at once', async () => {
    const id = await group('Busy');
    const adds = users
      .slice(0, 10)
      .map((u) => services.groups.change(scope, id, { members: [{ op: 'add', userIds: [u.id] }] }, {}, CLI_ACTOR));
    await Promise.all(adds);
    expect((await store.repos.groups.memberIds(scope.orgId, id)).sort()).toEqual(
      users
        .slice(0, 10)
        .map((u) => u.id)
        .sort(),
    );
    expect((await services.groups.get(scope, id)).version).toBe(11);
    const since = 0;
    expect((await written(id, since)).audit).toHaveLength(10);
  });
});
