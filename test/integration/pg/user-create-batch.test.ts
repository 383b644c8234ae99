/**
 * New users written together (store/user-create-batch.ts): each user of a batch is written
 * exactly as a user created alone, and when creates arrive together only the one whose
 * userName or externalId is taken is refused.
 */
import { auditEvent } from '../../../src/audit/audit-log.js';
import { CLI_ACTOR } from '../../../src/domain/actor.js';
import type { DirectoryUser, UserInput } from '../../../src/domain/directory.js';
import { ConflictError } from '../../../src/domain/errors/index.js';
import type { Services } from '../../../src/services.js';
import type { Store } from '../../../src/store/store.js';
import { insertUsers } from '../../../src/store/user-create-batch.js';
import { aUser } from '../../support/factories.js';
import { createTestStore } from '../../support/test-database.js';
import { testServices } from '../../support/test-services.js';

type Json = Record<string, unknown>;

describe('new users written together', () => {
  let services: Services;
  let store: Store;
  let close: () => Promise<void>;
  let scope: { orgId: string; connectionId: string };

  beforeAll(async () => {
    const t = await createTestStore();
    close = t.close;
    store = t.store;
    services = testServices(store, { events: true });
    const org = await services.organizations.create('Creates', CLI_ACTOR);
    const connection = await services.connections.create(org.id, { kind: 'okta', name: 'Okta' }, CLI_ACTOR);
    scope = { orgId: org.id, connectionId: connection.id };
  });

  afterAll(async () => {
    await close();
  });

  function input(name: string, overrides: Partial<DirectoryUser> = {}): UserInput {
    const { id, orgId, connectionId, version, createdAt, updatedAt, ...rest } = aUser(scope.orgId, {
      userName: `${name}@example.com`,
      externalId: `ext-${name}`,
      ...overrides,
    });
    return rest;
  }

  /** A user as created: its row (through the repository), its audit event and outbox event; ids, names and times left out. */
  async function written(id: string): Promise<Json> {
    const user = await store.repos.users.get(scope.orgId, id);
    const { id: _i, userName: _u, externalId: _e, createdAt: _c, updatedAt: _a, ...rest } = user!;
    const audit = (await store.repos.audit.list(scope.orgId, { targetId: id, limit: 10 })).map((e) => ({
      action: e.action,
      actor: e.actorLabel,
      label: e.targetLabel === user!.userName,
      data: e.data,
    }));
    const rows: Array<{ type: string; data: string; subject_user_id: string | null }> = await store
      .db('events')
      .where({ org_id: scope.orgId })
      .orderBy('seq');
    const events = rows
      .map((r) => ({ type: r.type, subject: r.subject_user_id, data: JSON.parse(r.data) as Json }))
      .filter((e) => (e.data.user as Json | undefined)?.id === id)
      .map((e) => ({
        type: e.type,
        subject: e.subject === id,
        named: (e.data.user as Json).userName === user!.userName,
      }));
    return { user: rest, audit, events };
  }

  const RICH: Partial<DirectoryUser> = {
    displayName: 'Dana Rich',
    title: 'Engineer',
    name: { ...aUser('x').name, givenName: 'Dana', familyName: 'Rich' },
    multiValued: {
      emails: [
        { type: 'work', value: 'Dana@Example.com', display: null, primary: true, subAttributes: null },
        { type: 'home', value: 'dana@home.example', display: 'home', primary: false, subAttributes: null },
      ],
      addresses: [
        {
          type: 'work',
          value: null,
          display: null,
          primary: true,
          subAttributes: { locality: 'Berlin', country: 'DE' },
        },
      ],
    },
    extensions: { 'urn:example:params:scim:schemas:extension:custom:2.0:User': { badge: 7 } },
  };

  it('writes each user of a batch exactly as a user created alone', async () => {
    const shapes: Array<Partial<DirectoryUser>> = [RICH, {}, { active: false }, { multiValued: RICH.multiValued! }];
    const alone: string[] = [];
    for (const [i, shape] of shapes.entries()) {
      alone.push((await services.users.create(scope, input(`alone${i}`, shape), CLI_ACTOR)).id);
    }
    const batched = shapes.map((shape, i) =>
      aUser(scope.orgId, {
        ...shape,
        connectionId: scope.connectionId,
        userName: `batched${i}@example.com`,
        externalId: `ext-batched${i}`,
      }),
    );
    await insertUsers(
      store.db,
      batched.map((user) => {
        const audit = auditEvent(scope.orgId, CLI_ACTOR, {
          action: 'user.created',
          target: { type: 'user', id: user.id, label: user.userName },
          data: { connectionId: scope.connectionId, active: user.active },
        });
        return { user, audit, event: store.outboxOfAudit?.(audit) };
      }),
    );

    for (const [i] of shapes.entries()) {
      const one = await written(batched[i]!.id);
      expect(one).toEqual(await written(alone[i]!));
      expect(one.audit).toEqual([expect.objectContaining({ action: 'user.created', label: true })]);
      expect(one.events).toEqual([{ type: 'user.created', subject: true, named: true }]);
    }
    expect((await written(batched[0]!.id)).user).toMatchObject({
      multiValued: RICH.multiValued,
      extensions: RICH.extensions,
    });
  });

  it('refuses only the creates whose userName or externalId is taken when creates arrive together', async () => {
    await services.users.create(scope, input('taken'), CLI_ACTOR);
    const names = ['together0', 'together1', 'TAKEN', 'together2', 'together3', 'together4', 'together5'];
    const outcomes = await Promise.allSettled(
      names.map((name, i) =>
        services.users.create(
          scope,
          // The last one brings an externalId someone else has.
          input(name === 'TAKEN' ? name : `${name}-${i}`, i === names.length - 1 ? { externalId: 'ext-taken' } : {}),
          CLI_ACTOR,
        ),
      ),
    );
    const refused = outcomes.flatMap((o, i) => (o.status === 'rejected' ? [{ i, error: o.reason as Error }] : []));
    expect(refused.map((r) => r.i)).toEqual([2, names.length - 1]);
    for (const r of refused) expect(r.error).toBeInstanceOf(ConflictError);

    const created = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    expect(created.map((u) => u.userName).sort()).toEqual(
      ['together0-0', 'together1-1', 'together2-3', 'together3-4', 'together4-5'].map((n) => `${n}@example.com`),
    );
    for (const user of created) {
      expect(await written(user.id)).toMatchObject({
        audit: [{ action: 'user.created' }],
        events: [{ type: 'user.created', subject: true }],
      });
    }
    // The refused left nothing behind: one user of each name, one audit event per user created.
    const rows: Array<{ user_name: string }> = await store
      .db('directory_users')
      .where({ org_id: scope.orgId })
      .andWhere('user_name', 'like', '%taken%');
    expect(rows.map((r) => r.user_name)).toEqual(['taken@example.com']);
    const audits = await store.repos.audit.list(scope.orgId, { action: 'user.created', limit: 100 });
    expect(audits.filter((a) => /together|taken/i.test(a.targetLabel ?? '')).length).toBe(created.length + 1);
  });

  it('creates one of two users with one userName that arrive together and refuses the other', async () => {
    // Behind a create in flight, the two wait for the next statement together.
    const outcomes = await Promise.allSettled([
      services.users.create(scope, input('first-in-flight'), CLI_ACTOR),
      services.users.create(scope, input('same', { externalId: 'ext-same-1' }), CLI_ACTOR),
      services.users.create(scope, input('SAME', { externalId: 'ext-same-2' }), CLI_ACTOR),
    ]);
    expect(outcomes[0]!.status).toBe('fulfilled');
    const [one, two] = outcomes.slice(1);
    const won = [one, two].filter((o): o is PromiseFulfilledResult<DirectoryUser> => o!.status === 'fulfilled');
    const lost = [one, two].filter((o): o is PromiseRejectedResult => o!.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]!.reason).toBeInstanceOf(ConflictError);
    const found = await services.users.findByUserName(scope, 'same@example.com', false);
    expect(found?.user.externalId).toBe(won[0]!.value.externalId);
    const audits = await store.repos.audit.list(scope.orgId, { action: 'user.created', limit: 100 });
    expect(audits.filter((a) => /^same@/i.test(a.targetLabel ?? ''))).toHaveLength(1);
  });
});
