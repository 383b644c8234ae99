/**
 * One-member steps of several groups written together (store/member-step-batch.ts): each
 * step writes exactly what it writes alone, a group that a transaction holds does not hold
 * up the steps of other groups, and many steps on few groups at once lose nothing.
 */
import { auditEvent } from '../../../src/audit/audit-log.js';
import { CLI_ACTOR } from '../../../src/domain/actor.js';
import { nowIso } from '../../../src/domain/clock.js';
import type { Services } from '../../../src/services.js';
import { applyMemberSteps } from '../../../src/store/member-step-batch.js';
import {
  applyMemberStep,
  type MemberStepOutcome,
  type MemberStepRequest,
} from '../../../src/store/member-step-statement.js';
import type { Store } from '../../../src/store/store.js';
import { aUser } from '../../support/factories.js';
import { createTestStore } from '../../support/test-database.js';
import { testServices } from '../../support/test-services.js';

type Json = Record<string, unknown>;

describe('membership steps of several groups in one statement', () => {
  let services: Services;
  let store: Store;
  let close: () => Promise<void>;
  let scope: { orgId: string; connectionId: string };
  const users: Array<{ id: string; userName: string }> = [];

  beforeAll(async () => {
    const t = await createTestStore();
    close = t.close;
    store = t.store;
    services = testServices(store, { events: true });
    const org = await services.organizations.create('Batches', CLI_ACTOR);
    const connection = await services.connections.create(org.id, { kind: 'okta', name: 'Okta' }, CLI_ACTOR);
    scope = { orgId: org.id, connectionId: connection.id };
    for (let i = 0; i < 12; i++) {
      const { id, orgId, connectionId, version, createdAt, updatedAt, ...input } = aUser(org.id, {
        userName: `batch${i}@example.com`,
      });
      const user = await services.users.create(scope, input, CLI_ACTOR);
      users.push({ id: user.id, userName: user.userName });
    }
  });

  afterAll(async () => {
    await close();
  });

  async function group(name: string, members: string[] = []): Promise<string> {
    return (await services.groups.create(scope, { displayName: name, externalId: null }, members, CLI_ACTOR)).group.id;
  }

  function step(groupId: string, op: 'add' | 'remove', userIds: string[]): MemberStepRequest {
    const audit = auditEvent(scope.orgId, CLI_ACTOR, {
      action: 'group.members_changed',
      target: { type: 'group', id: groupId },
    });
    return {
      orgId: scope.orgId,
      connectionId: scope.connectionId,
      groupId,
      op,
      userIds,
      at: nowIso(),
      audit,
      event: store.outboxIdentity?.(audit),
    };
  }

  /** What a group's step wrote: members, version, audit data and outbox events (ids and times left out). */
  async function written(groupId: string): Promise<Json> {
    const audit = (await store.repos.audit.list(scope.orgId, { targetId: groupId, limit: 100 }))
      .filter((e) => e.action === 'group.members_changed')
      .map((e) => ({ actor: e.actorLabel, data: e.data }));
    const rows: Array<{ type: string; data: unknown }> = await store
      .db('events')
      .where({ org_id: scope.orgId })
      .whereIn('type', ['group.members_added', 'group.members_removed'])
      .orderBy('seq');
    const events = rows
      .map((r) => ({ type: r.type, data: (typeof r.data === 'string' ? JSON.parse(r.data) : r.data) as Json }))
      .filter((e) => (e.data.group as Json).id === groupId)
      .map((e) => ({ type: e.type, users: e.data.users, count: e.data.count }));
    const members = (await store.repos.groups.memberIds(scope.orgId, groupId)).sort();
    const { version } = await services.groups.get(scope, groupId);
    return { members, version, audit, events };
  }

  function shape(o: MemberStepOutcome | undefined): Json | undefined {
    return o && { mapped: o.mapped, version: o.group.version, changed: o.changed, unknown: o.unknown };
  }

  it('writes each step of a batch exactly as the step alone writes it', async () => {
    const [u0, u1, u2, u3, u4] = users;
    // Each case on a group and its twin: the group's step goes in one batch, the twin's alone.
    const cases: Array<{ members: string[]; op: 'add' | 'remove'; userIds: string[] }> = [
      { members: [u1!.id], op: 'add', userIds: [u0!.id] },
      { members: [u2!.id, u3!.id], op: 'remove', userIds: [u2!.id] },
      { members: [u4!.id], op: 'add', userIds: [u4!.id] },
      { members: [], op: 'add', userIds: ['no-such-user', u3!.id] },
      { members: [u0!.id], op: 'remove', userIds: ['no-such-user'] },
      { members: [], op: 'add', userIds: [u0!.id, u1!.id, u2!.id] },
    ];
    const batched: string[] = [];
    const alone: string[] = [];
    for (const [i, c] of cases.entries()) {
      batched.push(await group(`Batched ${i}`, c.members));
      alone.push(await group(`Alone ${i}`, c.members));
    }
    const mapped = await group('Batched mapped', [u1!.id]);
    await services.mappings.create(
      scope.orgId,
      { connectionId: scope.connectionId, group: mapped, role: 'User' },
      CLI_ACTOR,
    );

    const outcomes = await applyMemberSteps(store.db, [
      ...cases.map((c, i) => step(batched[i]!, c.op, c.userIds)),
      step(mapped, 'add', [u0!.id]),
      step('no-such-group', 'add', [u0!.id]),
    ]);
    const singles: Array<MemberStepOutcome | undefined> = [];
    for (const [i, c] of cases.entries())
      singles.push(await applyMemberStep(store.db, step(alone[i]!, c.op, c.userIds)));

    for (const [i] of cases.entries()) {
      expect(shape(outcomes[i])).toEqual(shape(singles[i]));
      expect(await written(batched[i]!)).toEqual(await written(alone[i]!));
    }
    // The cases wrote what they say: one add, one remove, a no-op, unknown ids audited, three at once.
    expect(shape(outcomes[0])).toMatchObject({ version: 2, changed: [{ id: u0!.id, userName: u0!.userName }] });
    expect(shape(outcomes[1])).toMatchObject({ version: 2, changed: [{ id: u2!.id }] });
    expect(shape(outcomes[2])).toMatchObject({ version: 1, changed: [], unknown: [] });
    // (The one event of these groups is their creation's, which named their first members.)
    expect(await written(batched[2]!)).toMatchObject({ audit: [], events: [{ count: 1 }] });
    expect(shape(outcomes[3])).toMatchObject({ version: 2, unknown: ['no-such-user'] });
    expect(await written(batched[4]!)).toMatchObject({
      version: 1,
      audit: [{ data: expect.objectContaining({ removed: 0, unknownMembers: 1 }) }],
      events: [{ type: 'group.members_added', count: 1 }],
    });
    expect(await written(batched[5]!)).toMatchObject({
      version: 2,
      events: [{ type: 'group.members_added', count: 3 }],
    });
    // A mapped group is reported and left for the transaction; an unknown group is not found.
    expect(outcomes[cases.length]).toMatchObject({ mapped: true });
    expect(await written(mapped)).toMatchObject({ members: [u1!.id], version: 1, audit: [] });
    expect(outcomes[cases.length + 1]).toBeUndefined();
  });

  it('writes a batch of adds only, and one of removes only, exactly as each step alone', async () => {
    const [u0, u1, u2, u3] = users;
    const cases: Array<{ members: string[]; op: 'add' | 'remove'; userIds: string[] }> = [
      { members: [u1!.id], op: 'add', userIds: [u0!.id] },
      { members: [], op: 'add', userIds: ['no-such-user', u3!.id] },
      { members: [u2!.id], op: 'add', userIds: [u2!.id] },
      { members: [u2!.id, u3!.id], op: 'remove', userIds: [u2!.id] },
      { members: [u0!.id], op: 'remove', userIds: ['no-such-user', u0!.id] },
      { members: [u1!.id], op: 'remove', userIds: [u3!.id] },
    ];
    const batched: string[] = [];
    const alone: string[] = [];
    for (const [i, c] of cases.entries()) {
      batched.push(await group(`One kind ${i}`, c.members));
      alone.push(await group(`One kind alone ${i}`, c.members));
    }
    const outcomes: Array<MemberStepOutcome | undefined> = [];
    for (const op of ['add', 'remove'] as const) {
      const ofKind = [...cases.entries()].filter(([, c]) => c.op === op);
      const results = await applyMemberSteps(
        store.db,
        ofKind.map(([i, c]) => step(batched[i]!, c.op, c.userIds)),
      );
      for (const [k, [i]] of ofKind.entries()) outcomes[i] = results[k];
    }
    for (const [i, c] of cases.entries()) {
      const single = await applyMemberStep(store.db, step(alone[i]!, c.op, c.userIds));
      expect(shape(outcomes[i])).toEqual(shape(single));
      expect(await written(batched[i]!)).toEqual(await written(alone[i]!));
    }
    // (Each group's first event is its creation's, which named its first members.)
    expect(await written(batched[0]!)).toMatchObject({
      members: [u0!.id, u1!.id].sort(),
      version: 2,
      audit: [{ data: expect.objectContaining({ added: 1, removed: 0, addedUsers: [u0!.userName] }) }],
      events: [{ users: [{ id: u1!.id }] }, { type: 'group.members_added', users: [{ id: u0!.id }], count: 1 }],
    });
    expect(await written(batched[4]!)).toMatchObject({
      members: [],
      version: 2,
      audit: [
        { data: expect.objectContaining({ added: 0, removed: 1, removedUsers: [u0!.userName], unknownMembers: 1 }) },
      ],
      events: [{ users: [{ id: u0!.id }] }, { type: 'group.members_removed', users: [{ id: u0!.id }], count: 1 }],
    });
    expect(shape(outcomes[5])).toMatchObject({ version: 1, changed: [], unknown: [] });
  });

  it('writes the steps of other groups while a transaction holds one group, and that one after', async () => {
    const held = await group('Held');
    const free = await group('Free');
    const holder = await store.db.transaction();
    try {
      await holder('directory_groups').where({ id: held }).forUpdate().first();
      let heldDone = false;
      const heldChange = services.groups
        .change(scope, held, { members: [{ op: 'add', userIds: [users[8]!.id] }] }, {}, CLI_ACTOR)
        .finally(() => {
          heldDone = true;
        });
      const freeChange = services.groups.change(
        scope,
        free,
        { members: [{ op: 'add', userIds: [users[9]!.id] }] },
        {},
        CLI_ACTOR,
      );
      expect((await freeChange).delta.added).toEqual([users[9]!.id]);
      expect(heldDone).toBe(false);
      await holder.commit();
      expect((await heldChange).delta.added).toEqual([users[8]!.id]);
    } finally {
      if (!holder.isCompleted()) await holder.rollback();
    }
    expect(await written(held)).toMatchObject({ members: [users[8]!.id], version: 2 });
    expect(await written(free)).toMatchObject({ members: [users[9]!.id], version: 2 });
  });

  it('loses no step and counts every version when many steps on few groups arrive at once', async () => {
    const groups = [await group('Busy A'), await group('Busy B'), await group('Busy C')];
    const changes = users.flatMap((u) =>
      groups.map((g) => services.groups.change(scope, g, { members: [{ op: 'add', userIds: [u.id] }] }, {}, CLI_ACTOR)),
    );
    await Promise.all(changes);
    const removals = users
      .slice(0, 4)
      .map((u) =>
        services.groups.change(scope, groups[0]!, { members: [{ op: 'remove', userIds: [u.id] }] }, {}, CLI_ACTOR),
      );
    await Promise.all(removals);
    const all = users.map((u) => u.id).sort();
    const a = await written(groups[0]!);
    expect(a.members).toEqual(
      users
        .slice(4)
        .map((u) => u.id)
        .sort(),
    );
    expect(a.version).toBe(1 + users.length + 4);
    expect(a.audit).toHaveLength(users.length + 4);
    for (const g of groups.slice(1)) {
      expect(await written(g)).toMatchObject({ members: all, version: 1 + users.length });
    }
  });
});
