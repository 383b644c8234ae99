/**
 * A user's update (Entra's PATCH active, Okta's PUT, a profile change) leaves the same rows,
 * audit event, outbox events, sessions and access history whichever way it is written: one
 * read and one guarded statement (PostgreSQL) or the transaction (SQLite, a reactivation, a
 * user changed under it, or hooks that do more). Each case runs on twin users, one through
 * services whose hooks allow the statement and one through services whose hooks do not.
 */
import { CLI_ACTOR } from '../../src/domain/actor.js';
import type { DirectoryUser, UserInput } from '../../src/domain/directory.js';
import { ConflictError, PreconditionFailedError } from '../../src/domain/errors/index.js';
import { TEAM_SYNC_HOOKS } from '../../src/directory/team-sync.js';
import type { Services } from '../../src/services.js';
import type { Store } from '../../src/store/store.js';
import { aLiveSession, aUser } from '../support/factories.js';
import { createTestStore } from '../support/test-database.js';
import { testServices } from '../support/test-services.js';

type Json = Record<string, unknown>;
type Scope = { orgId: string; connectionId: string };

describe('user updates written in one statement', () => {
  let fast: Services;
  let slow: Services;
  /** Services whose hooks also touch every updated user: their access is recorded from their facts. */
  let facts: Services;
  let store: Store;
  let close: () => Promise<void>;
  let scope: Scope;
  let groupId: string;

  beforeAll(async () => {
    const t = await createTestStore();
    close = t.close;
    store = t.store;
    slow = testServices(store, {
      hooks: {
        ...TEAM_SYNC_HOOKS,
        userUpdatesOnlyAnnounceAndTouch: false,
        unmappedMemberChangesOnlyRecordEvents: false,
      },
    });
    facts = testServices(store, {
      hooks: {
        ...TEAM_SYNC_HOOKS,
        userUpdatesOnlyAnnounceAndTouch: false,
        afterChange: async (repos, orgId, change) => {
          await TEAM_SYNC_HOOKS.afterChange(repos, orgId, change);
          if (change.kind === 'users_upserted') repos.accessChanges.touch(orgId, change.userIds);
        },
      },
    });
    // Built last: its change recording is the store's (the same as the others').
    fast = testServices(store);
    const org = await fast.organizations.create('Updates', CLI_ACTOR);
    const connection = await fast.connections.create(org.id, { kind: 'okta', name: 'Okta' }, CLI_ACTOR);
    scope = { orgId: org.id, connectionId: connection.id };
    groupId = (await fast.groups.create(scope, { displayName: 'Writers', externalId: null }, [], CLI_ACTOR)).group.id;
    await fast.teams.create(org.id, { name: 'writers', scopes: ['ci:read-update'] }, CLI_ACTOR);
    await fast.mappings.create(org.id, { connectionId: connection.id, group: groupId, teams: ['writers'] }, CLI_ACTOR);
  });

  afterAll(async () => {
    await close();
  });

  function inputOf(user: DirectoryUser): UserInput {
    const { id: _i, orgId: _o, connectionId: _c, version: _v, createdAt: _ca, updatedAt: _ua, ...input } = user;
    return input;
  }

  /** A user in the mapped group (so holding a team) with one live session. */
  async function member(userName: string): Promise<DirectoryUser> {
    const user = await fast.users.create(scope, inputOf(aUser(scope.orgId, { userName })), CLI_ACTOR);
    await fast.groups.change(scope, groupId, { members: [{ op: 'add', userIds: [user.id] }] }, {}, CLI_ACTOR);
    await store.repos.sessions.insert(aLiveSession(scope, user.id));
    return user;
  }

  /** Everything a user's update wrote about them, without ids, times and names that differ between twins. */
  async function writtenAbout(userId: string, afterSeq = 0): Promise<Json> {
    const user = await fast.users.get(scope, userId);
    const audit = (await store.repos.audit.list(scope.orgId, { targetId: userId, limit: 50 }))
      .filter((e) => e.action !== 'user.created')
      .map((e) => ({
        action: e.action,
        actor: e.actorLabel,
        data: { ...e.data, before: undefined, after: undefined },
      }));
    const events: Array<{ type: string; data: string }> = await store
      .db('events')
      .where({ org_id: scope.orgId, subject_user_id: userId })
      .whereNot('type', 'user.created')
      .andWhere('seq', '>', afterSeq)
      .orderBy('seq')
      .select('type', 'data');
    const history = await fast.accessHistory.list(scope.orgId, userId, { limit: 50 });
    const sessions: Array<{ revoked_at: unknown }> = await store.db('sessions').where({ user_id: userId });
    const state: Array<{ state: string }> = await store.db('user_access_states').where({ user_id: userId });
    const teams: Array<{ team_id: string }> = await store.db('team_memberships').where({ user_id: userId });
    return {
      active: user.active,
      version: user.version,
      title: user.title,
      emails: (user.multiValued.emails ?? []).map((e) => e.value?.replace(/-[abc]@/, '@')),
      audit,
      events: events.map((e) => {
        const data = JSON.parse(e.data) as Json;
        return {
          type: e.type,
          changes: data.changes,
          changed: data.changed,
          cause: (data.cause as Json | undefined)?.action,
        };
      }),
      history: history.items.map((i) => ({ changes: i.changes, cause: i.cause.action })),
      sessionsRevoked: sessions.map((s) => s.revoked_at !== null),
      state: state.map((s) => s.state),
      teams: teams.length,
    };
  }

  async function twins(
    name: string,
    change: (current: DirectoryUser) => UserInput,
  ): Promise<{ fast: Json; slow: Json; returned: DirectoryUser }> {
    const a = await member(`${name}-a@example.com`);
    const b = await member(`${name}-b@example.com`);
    const row = (await store.db('events').max('seq as seq').first()) as { seq: unknown } | undefined;
    const afterSeq = Number(row?.seq ?? 0);
    const returned = await fast.users.update(scope, a.id, change, {}, CLI_ACTOR);
    await slow.users.update(scope, b.id, change, {}, CLI_ACTOR);
    return { fast: await writtenAbout(a.id, afterSeq), slow: await writtenAbout(b.id, afterSeq), returned };
  }

  it('deactivates (Entra PATCH active) with the same user, audit, events, sessions and access history as the transaction', async () => {
    const { fast: f, slow: s, returned } = await twins('deactivated', (u) => ({ ...inputOf(u), active: false }));
    expect(f).toEqual(s);
    expect(returned.active).toBe(false);
    expect(f).toMatchObject({ active: false, version: 2, sessionsRevoked: [true], teams: 1 });
    expect((f.audit as Json[]).map((e) => e.action)).toEqual(['user.deactivated']);
    expect((f.events as Json[]).map((e) => e.type)).toEqual(['user.deactivated', 'access.changed']);
    expect((f.history as Json[])[0]).toMatchObject({ cause: 'user.deactivated' });
    expect(JSON.stringify((f.history as Json[])[0])).toContain('"active":{"from":true,"to":false}');
  });

  it('records a deactivation known as one the same as one evaluated from the user’s groups and teams', async () => {
    const { slow: s } = await twins('known', (u) => ({ ...inputOf(u), active: false }));
    const c = await member('known-c@example.com');
    const row = (await store.db('events').max('seq as seq').first()) as { seq: unknown } | undefined;
    const afterSeq = Number(row?.seq ?? 0);
    await facts.users.update(scope, c.id, (u) => ({ ...inputOf(u), active: false }), {}, CLI_ACTOR);
    const evaluated = await writtenAbout(c.id, afterSeq);
    expect(evaluated).toEqual(s);
    expect((evaluated.history as Json[])[0]).toMatchObject({ cause: 'user.deactivated' });
  });

  it('replaces a profile (Okta PUT) with new emails the same way, ending no session and recording no access change', async () => {
    const { fast: f, slow: s } = await twins('profile', (u) => ({
      ...inputOf(u),
      title: 'Staff Engineer',
      multiValued: {
        emails: [
          { value: `${u.userName}.new@example.com`, type: 'work', primary: true, display: null, subAttributes: null },
        ],
      },
    }));
    expect(f).toEqual(s);
    expect(f).toMatchObject({ active: true, title: 'Staff Engineer', sessionsRevoked: [false] });
    expect(f.emails).toEqual(['profile@example.com.new@example.com']);
    expect((f.events as Json[]).map((e) => e.type)).toEqual(['user.updated']);
    expect((f.history as Json[]).filter((h) => h.cause === 'user.updated')).toEqual([]);
  });

  it('reactivates through the transaction: the user regains the team their group gives', async () => {
    const user = await member('reactivated@example.com');
    await fast.users.update(scope, user.id, (u) => ({ ...inputOf(u), active: false }), {}, CLI_ACTOR);
    const back = await fast.users.update(scope, user.id, (u) => ({ ...inputOf(u), active: true }), {}, CLI_ACTOR);
    expect(back).toMatchObject({ active: true, version: 3 });
    const history = await fast.accessHistory.list(scope.orgId, user.id, { limit: 10 });
    expect(history.items[0]!.cause.action).toBe('user.reactivated');
    expect(JSON.stringify(history.items[0]!.changes)).toContain('writers');
  });

  it('refuses a stale If-Match with 412 and a taken userName with 409, writing nothing', async () => {
    const user = await member('guarded@example.com');
    await expect(
      fast.users.update(scope, user.id, (u) => ({ ...inputOf(u), active: false }), { ifMatch: 7 }, CLI_ACTOR),
    ).rejects.toBeInstanceOf(PreconditionFailedError);
    await expect(
      fast.users.update(
        scope,
        user.id,
        (u) => ({ ...inputOf(u), userName: 'deactivated-a@example.com' }),
        {},
        CLI_ACTOR,
      ),
    ).rejects.toBeInstanceOf(ConflictError);
    expect(await writtenAbout(user.id)).toMatchObject({
      active: true,
      version: 1,
      audit: [],
      sessionsRevoked: [false],
    });
  });

  it('loses no update when many arrive for one user at once, and records its deactivation once', async () => {
    const user = await member('busy@example.com');
    await Promise.all([
      ...Array.from({ length: 8 }, (_, i) =>
        fast.users.update(scope, user.id, (u) => ({ ...inputOf(u), nickName: `nick ${i}` }), {}, CLI_ACTOR),
      ),
      fast.users.update(scope, user.id, (u) => ({ ...inputOf(u), active: false }), {}, CLI_ACTOR),
    ]);
    const after = await writtenAbout(user.id);
    expect(after).toMatchObject({ active: false, version: 10, sessionsRevoked: [true] });
    expect((after.audit as Json[]).length).toBe(9);
    expect((after.history as Json[]).filter((h) => h.cause === 'user.deactivated')).toHaveLength(1);
  });
});
