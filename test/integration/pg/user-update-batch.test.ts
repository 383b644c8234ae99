/**
 * Users' guarded writes written together (store/user-update-batch.ts): each write of a batch
 * leaves exactly what it leaves alone, a write whose guard no longer holds writes nothing
 * and says so while the others are written, and a user that a transaction holds does not
 * hold up the others.
 */
import { auditEvent } from '../../../src/audit/audit-log.js';
import { CLI_ACTOR } from '../../../src/domain/actor.js';
import type { DirectoryUser, UserInput } from '../../../src/domain/directory.js';
import type { Services } from '../../../src/services.js';
import type { Store } from '../../../src/store/store.js';
import { writeUserUpdates } from '../../../src/store/user-update-batch.js';
import { writeUserUpdate, type UserUpdateWrite } from '../../../src/store/user-update-statement.js';
import { aLiveSession, aUser } from '../../support/factories.js';
import { createTestStore } from '../../support/test-database.js';
import { testServices } from '../../support/test-services.js';

type Json = Record<string, unknown>;

describe('users’ guarded writes in one statement', () => {
  let services: Services;
  let store: Store;
  let close: () => Promise<void>;
  let scope: { orgId: string; connectionId: string };

  beforeAll(async () => {
    const t = await createTestStore();
    close = t.close;
    store = t.store;
    services = testServices(store, { events: true });
    const org = await services.organizations.create('Writes', CLI_ACTOR);
    const connection = await services.connections.create(org.id, { kind: 'entra', name: 'Entra' }, CLI_ACTOR);
    scope = { orgId: org.id, connectionId: connection.id };
  });

  afterAll(async () => {
    await close();
  });

  function inputOf(user: DirectoryUser): UserInput {
    const { id: _i, orgId: _o, connectionId: _c, version: _v, createdAt: _ca, updatedAt: _ua, ...input } = user;
    return input;
  }

  /** A user of the connection with one live session. */
  async function person(userName: string, email = `${userName}`): Promise<DirectoryUser> {
    const user = await services.users.create(
      scope,
      inputOf(
        aUser(scope.orgId, {
          userName,
          multiValued: {
            emails: [{ type: 'work', value: email, display: null, primary: true, subAttributes: null }],
          },
        }),
      ),
      CLI_ACTOR,
    );
    await store.repos.sessions.insert(aLiveSession(scope, user.id, 'saml'));
    return user;
  }

  type Shape = 'deactivate' | 'profile' | 'deactivate-first-state' | 'deactivate-known-state';

  /** The write a fast-path update of `user` makes in `shape`, read as the service reads it. */
  async function writeOf(user: DirectoryUser, shape: Shape): Promise<UserUpdateWrite> {
    const read = (await store.readUserForUpdate(scope.orgId, scope.connectionId, user.id))!;
    const current = read.user;
    const deactivate = shape !== 'profile';
    const next: DirectoryUser = {
      ...current,
      active: deactivate ? false : current.active,
      title: deactivate ? current.title : 'Staff Engineer',
      multiValued: deactivate
        ? current.multiValued
        : {
            emails: [
              { type: 'work', value: `new.${current.userName}`, display: null, primary: true, subAttributes: null },
            ],
          },
      version: current.version + 1,
      updatedAt: new Date().toISOString(),
    };
    const audit = auditEvent(scope.orgId, CLI_ACTOR, {
      action: deactivate ? 'user.deactivated' : 'user.updated',
      target: { type: 'user', id: current.id, label: current.userName },
      data: { connectionId: scope.connectionId, version: next.version },
    });
    const own = store.outboxOfAudit?.(audit);
    const withState = shape === 'deactivate-first-state' || shape === 'deactivate-known-state';
    return {
      next,
      readVersion: current.version,
      valuesChanged: !deactivate,
      revokeSessions: deactivate,
      audit,
      events: own ? [own] : [],
      ...(withState
        ? {
            access: {
              before: read.accessState,
              after: JSON.stringify({ active: false, teams: [] }),
              change: {
                userName: current.userName,
                change: { active: { from: true, to: false } },
                cause: { action: 'user.deactivated' },
                requestId: null,
              },
            },
          }
        : {}),
      at: next.updatedAt,
    };
  }

  /** Everything a write leaves about a user, without ids, times and names that differ between twins. */
  async function writtenAbout(userId: string): Promise<Json> {
    const user = await services.users.get(scope, userId);
    const audit = (await store.repos.audit.list(scope.orgId, { targetId: userId, limit: 50 }))
      .filter((e) => e.action !== 'user.created')
      .map((e) => ({ action: e.action, actor: e.actorLabel, data: e.data }));
    const events: Array<{ type: string }> = await store
      .db('events')
      .where({ org_id: scope.orgId, subject_user_id: userId })
      .whereNot('type', 'user.created')
      .orderBy('seq')
      .select('type');
    const changes: Array<{ change: string; cause: string }> = await store
      .db('access_changes')
      .where({ user_id: userId })
      .select('change', 'cause');
    const sessions: Array<{ revoked_at: unknown }> = await store.db('sessions').where({ user_id: userId });
    const state: Array<{ state: string }> = await store.db('user_access_states').where({ user_id: userId });
    return {
      active: user.active,
      version: user.version,
      title: user.title,
      emails: (user.multiValued.emails ?? []).map((e) => e.value?.replace(/^(new\.)?[a-z-]+\d-[ab]/, '$1x')),
      audit,
      events: events.map((e) => e.type),
      changes: changes.map((c) => ({ change: c.change, cause: c.cause })),
      sessionsRevoked: sessions.map((s) => s.revoked_at !== null),
      state: state.map((s) => s.state),
    };
  }

  it('writes each user of a batch exactly as the user’s write alone leaves it', async () => {
    const shapes: Shape[] = ['deactivate', 'profile', 'deactivate-first-state', 'deactivate-known-state'];
    const batched: DirectoryUser[] = [];
    const alone: DirectoryUser[] = [];
    for (const [i, shape] of shapes.entries()) {
      batched.push(await person(`case${i}-a`));
      alone.push(await person(`case${i}-b`));
      if (shape === 'deactivate-known-state') {
        for (const u of [batched[i]!, alone[i]!]) {
          await store.db('user_access_states').insert({ user_id: u.id, org_id: scope.orgId, state: '{"before":1}' });
        }
      }
    }
    const writes = await Promise.all(shapes.map((shape, i) => writeOf(batched[i]!, shape)));
    expect(await writeUserUpdates(store.db, writes)).toEqual([true, true, true, true]);
    for (const [i, shape] of shapes.entries()) {
      expect(await writeUserUpdate(store.db, await writeOf(alone[i]!, shape))).toBe(true);
    }
    for (const [i] of shapes.entries()) {
      expect(await writtenAbout(batched[i]!.id)).toEqual(await writtenAbout(alone[i]!.id));
    }
    // The cases wrote what they say.
    expect(await writtenAbout(batched[0]!.id)).toMatchObject({
      active: false,
      version: 2,
      audit: [{ action: 'user.deactivated' }],
      events: ['user.deactivated'],
      changes: [],
      sessionsRevoked: [true],
      state: [],
    });
    expect(await writtenAbout(batched[1]!.id)).toMatchObject({
      active: true,
      title: 'Staff Engineer',
      emails: ['new.x'],
      sessionsRevoked: [false],
    });
    expect(await writtenAbout(batched[2]!.id)).toMatchObject({
      state: ['{"active":false,"teams":[]}'],
      changes: [{ cause: '{"action":"user.deactivated"}' }],
    });
    expect(await writtenAbout(batched[3]!.id)).toMatchObject({ state: ['{"active":false,"teams":[]}'] });
  });

  it('writes a batch of one kind of write (which leaves the other kinds’ parts out) exactly as each alone', async () => {
    const shapes: Shape[] = ['deactivate', 'profile', 'deactivate-first-state', 'deactivate-known-state'];
    for (const shape of shapes) {
      const batched = [await person(`${shape}-1-a`), await person(`${shape}-2-a`)];
      const alone = [await person(`${shape}-1-b`), await person(`${shape}-2-b`)];
      if (shape === 'deactivate-known-state') {
        for (const u of [...batched, ...alone]) {
          await store.db('user_access_states').insert({ user_id: u.id, org_id: scope.orgId, state: '{"before":1}' });
        }
      }
      const writes = await Promise.all(batched.map((u) => writeOf(u, shape)));
      expect(await writeUserUpdates(store.db, writes)).toEqual([true, true]);
      for (const u of alone) expect(await writeUserUpdate(store.db, await writeOf(u, shape))).toBe(true);
      for (const [i, u] of batched.entries()) {
        const written = await writtenAbout(u.id);
        expect(written).toEqual(await writtenAbout(alone[i]!.id));
        expect(written).toMatchObject(
          shape === 'profile' ? { active: true, title: 'Staff Engineer' } : { active: false, version: 2 },
        );
      }
    }
  });

  it('writes nothing for a user whose version or recorded state moved since the read, and the others', async () => {
    const moved = await person('moved-version');
    const stateMoved = await person('moved-state');
    const fine = await person('fine');
    await store.db('user_access_states').insert({ user_id: stateMoved.id, org_id: scope.orgId, state: '{"v":1}' });
    const writes = [
      await writeOf(moved, 'deactivate'),
      await writeOf(stateMoved, 'deactivate-known-state'),
      await writeOf(fine, 'deactivate'),
    ];
    // Someone else changes the first user, and the second one's recorded state, after the reads.
    await services.users.update(scope, moved.id, (u) => ({ ...inputOf(u), title: 'Moved' }), {}, CLI_ACTOR);
    await store.db('user_access_states').where({ user_id: stateMoved.id }).update({ state: '{"v":2}' });

    expect(await writeUserUpdates(store.db, writes)).toEqual([false, false, true]);
    expect(await writtenAbout(moved.id)).toMatchObject({
      active: true,
      title: 'Moved',
      events: ['user.updated'],
      sessionsRevoked: [false],
    });
    expect(await writtenAbout(stateMoved.id)).toMatchObject({
      active: true,
      version: 1,
      audit: [],
      events: [],
      changes: [],
      sessionsRevoked: [false],
      state: ['{"v":2}'],
    });
    expect(await writtenAbout(fine.id)).toMatchObject({ active: false, version: 2, sessionsRevoked: [true] });
  });

  it('deactivates the users arriving together while a transaction holds one of them, and that one after', async () => {
    const held = await person('held');
    const others = [await person('other1'), await person('other2'), await person('other3')];
    const holder = await store.db.transaction();
    try {
      await holder('directory_users').where({ id: held.id }).forUpdate().first();
      let heldDone = false;
      const deactivate = (u: DirectoryUser) =>
        services.users.update(scope, u.id, (c) => ({ ...inputOf(c), active: false }), {}, CLI_ACTOR);
      const heldUpdate = deactivate(held).finally(() => {
        heldDone = true;
      });
      const done = await Promise.all(others.map(deactivate));
      expect(done.map((u) => u.active)).toEqual([false, false, false]);
      expect(heldDone).toBe(false);
      await holder.commit();
      expect((await heldUpdate).active).toBe(false);
    } finally {
      if (!holder.isCompleted()) await holder.rollback();
    }
    for (const u of [held, ...others]) {
      expect(await writtenAbout(u.id)).toMatchObject({
        active: false,
        version: 2,
        audit: [{ action: 'user.deactivated' }],
        sessionsRevoked: [true],
      });
    }
  });
});
