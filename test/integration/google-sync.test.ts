/**
 * The Google Workspace directory sync, end to end on both databases: Google's client
 * libraries against the fake Directory API, the sync through the directory services, and
 * what decisions say afterwards.
 */
import { CLI_ACTOR } from '../../src/domain/actor.js';
import { ConflictError } from '../../src/domain/errors/index.js';
import type { Services } from '../../src/services.js';
import type { Store } from '../../src/store/store.js';
import { FakeGoogleDirectory, aServiceAccount, type FakeUser } from '../support/google-directory-fake.js';
import { createTestStore } from '../support/test-database.js';
import { testServices } from '../support/test-services.js';

const ADMIN = 'admin@acme.example';

function person(n: number, extra: Partial<FakeUser> = {}): FakeUser {
  return {
    id: `10${n}`,
    primaryEmail: `p${n}@acme.example`,
    name: { givenName: `P${n}`, familyName: 'Acme', fullName: `P${n} Acme` },
    orgUnitPath: '/',
    emails: [{ address: `p${n}@acme.example`, primary: true }],
    ...extra,
  };
}

describe('Google Workspace directory sync', () => {
  const google = new FakeGoogleDirectory();
  let store: Store;
  let services: Services;
  let close: () => Promise<void>;
  let orgId: string;
  let connectionId: string;
  const scope = (): { orgId: string; connectionId: string } => ({ orgId, connectionId });

  const sync = () => services.directorySync.run(orgId, connectionId, 'manual');
  const userNamed = (userName: string) => store.repos.users.findByUserName(orgId, userName);
  const groupNamed = async (name: string) => store.repos.groups.findByDisplayName(orgId, connectionId, name);
  const membersOf = async (name: string): Promise<string[]> => {
    const group = await groupNamed(name);
    const members = group ? await store.repos.groups.members(orgId, group.id) : [];
    return members.map((m) => m.userName).sort();
  };

  beforeAll(async () => {
    await google.start();
    const account = aServiceAccount();
    google.delegate(account);
    google.admins.add(ADMIN);
    for (let n = 1; n <= 30; n++) google.addUser(person(n));
    google.addGroup({ id: 'g-eng', email: 'eng@acme.example', name: 'Engineering' }, [
      { id: '101', type: 'USER' },
      { id: '102', type: 'USER' },
      { id: 'g-lab', type: 'GROUP' },
    ]);
    google.addGroup({ id: 'g-lab', email: 'lab@acme.example', name: 'Test Lab' }, [
      { id: '103', type: 'USER' },
      { id: 'g-eng', type: 'GROUP' }, // a cycle: each counts the other's members once
    ]);
    google.addGroup({ id: 'g-all', email: 'all@acme.example', name: 'Everyone' }, [{ id: 'C01', type: 'CUSTOMER' }]);
    google.addGroup({ id: 'g-ops', email: 'ops@acme.example', name: 'Ops' }, [{ id: '104', type: 'USER' }]);

    const t = await createTestStore();
    store = t.store;
    close = t.close;
    services = testServices(store, {
      google: { apiUrl: google.url, tokenUrl: google.tokenUrl, requestsPerMinute: 60_000 },
    });
    orgId = (await services.organizations.create('Acme', CLI_ACTOR)).id;
    connectionId = (await services.connections.create(orgId, { kind: 'google', name: 'Google' }, CLI_ACTOR)).id;
    await services.directorySources.configure(
      orgId,
      connectionId,
      'google',
      { credentials: { serviceAccountKey: account.keyFile, subject: ADMIN }, deleteAfterDays: 0 },
      CLI_ACTOR,
    );
    await services.teams.create(
      orgId,
      { name: 'lab', scopes: ['devices:read-update'], deviceGroups: ['lab'] },
      CLI_ACTOR,
    );
  });

  afterAll(async () => {
    await services?.close();
    await close?.();
    await google.stop();
  });

  it('brings every user, group and flattened membership on its first run', async () => {
    const run = await sync();
    expect(run).toMatchObject({ status: 'succeeded', errorCode: null });
    expect(run.counts).toMatchObject({ usersCreated: 30, groupsCreated: 4 });
    expect(await userNamed('p7@acme.example')).toMatchObject({
      externalId: '107',
      active: true,
      displayName: 'P7 Acme',
      connectionId,
    });
    expect(await membersOf('Engineering')).toEqual(['p1@acme.example', 'p2@acme.example', 'p3@acme.example']);
    expect(await membersOf('Test Lab')).toEqual(['p1@acme.example', 'p2@acme.example', 'p3@acme.example']);
    expect(await membersOf('Everyone')).toHaveLength(30);
    const eng = (await groupNamed('Engineering'))!;
    const lab = (await groupNamed('Test Lab'))!;
    expect(await store.repos.groups.nestedGroupIds(orgId, eng.id)).toEqual([lab.id]);
  });

  it('writes nothing when the directory has not changed', async () => {
    const before = (await store.repos.audit.list(orgId, { limit: 10_000 })).length;
    const run = await sync();
    expect(run.status).toBe('succeeded');
    expect(Object.values(run.counts!).every((n) => n === 0)).toBe(true);
    const after = await store.repos.audit.list(orgId, { limit: 10_000 });
    // Only the run's own record.
    expect(after.length - before).toBe(1);
    expect(after[0]!.action).toBe('directory_sync.completed');
  });

  it('applies every kind of change, and decisions follow at once', async () => {
    await services.mappings.create(
      orgId,
      { connectionId, group: 'g-lab', matchBy: 'external_id', teams: ['lab'] },
      CLI_ACTOR,
    );
    expect(
      (await services.access.check(orgId, 'p3@acme.example', { scope: 'devices:read-update', deviceGroup: 'lab' }))
        .allowed,
    ).toBe(true);

    google.user('105').primaryEmail = 'p5.renamed@acme.example'; // rename
    google.user('106').suspended = true; // suspend
    google.removeUser('107'); // deleted in Google
    google.members.get('g-lab')!.splice(0, 1); // 103 leaves Test Lab (and so Engineering's flattened set)
    google.members.get('g-ops')!.push({ id: '108', type: 'USER' }); // joins Ops
    google.groups.find((g) => g.id === 'g-ops')!.name = 'Operations'; // group renamed
    google.removeGroup('g-all'); // group deleted

    const run = await sync();
    expect(run).toMatchObject({ status: 'succeeded' });
    expect(run.counts).toMatchObject({
      usersUpdated: 1,
      usersDeactivated: 2,
      groupsUpdated: 1,
      groupsDeleted: 1,
      membershipsAdded: 1,
    });
    expect(run.counts!.membershipsRemoved).toBeGreaterThanOrEqual(2);
    expect(await userNamed('p5.renamed@acme.example')).toMatchObject({ externalId: '105', active: true });
    expect(await userNamed('p5@acme.example')).toBeUndefined();
    expect((await userNamed('p6@acme.example'))?.active).toBe(false);
    expect((await userNamed('p7@acme.example'))?.active).toBe(false);
    expect(await membersOf('Test Lab')).toEqual(['p1@acme.example', 'p2@acme.example']);
    expect(await membersOf('Operations')).toEqual(['p4@acme.example', 'p8@acme.example']);
    expect(await groupNamed('Everyone')).toBeUndefined();
    const decision = await services.access.check(orgId, 'p3@acme.example', {
      scope: 'devices:read-update',
      deviceGroup: 'lab',
    });
    expect(decision.allowed).toBe(false);
  });

  it('deletes a user gone from the directory once the grace period is over, and reactivates one who is back', async () => {
    google.user('106').suspended = false;
    const run = await sync();
    expect(run.counts).toMatchObject({ usersReactivated: 1, usersDeleted: 1 });
    expect((await userNamed('p6@acme.example'))?.active).toBe(true);
    expect(await userNamed('p7@acme.example')).toBeUndefined();
  });

  it('holds a run that would deprovision too many people, until an admin approves it', async () => {
    // From here on, people gone from the directory stay (deactivated) for the default 30 days.
    await services.directorySources.configure(orgId, connectionId, 'google', { deleteAfterDays: 30 }, CLI_ACTOR);
    const gone = google.users.slice(10, 20).map((u) => u.id);
    for (const id of gone) google.removeUser(id);
    const held = await sync();
    expect(held.status).toBe('held');
    expect(held.held).toMatchObject({ total: 10, limit: 5 });
    expect(held.held!.users).toHaveLength(10);
    expect((await userNamed('p15@acme.example'))?.active).toBe(true); // nothing applied
    const status = await services.directorySources.status(orgId, connectionId);
    expect(status.held?.id).toBe(held.id);
    expect(status.nextRunAt).toBeNull(); // no scheduled run while it waits

    await services.directorySync.approve(orgId, connectionId, CLI_ACTOR);
    const applied = await services.directorySync.run(orgId, connectionId, 'approval');
    expect(applied).toMatchObject({ status: 'succeeded', counts: { usersDeactivated: 10 } });
    expect((await userNamed('p15@acme.example'))?.active).toBe(false);
    const actions = (await store.repos.audit.list(orgId, { limit: 50 })).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['directory_sync.held', 'directory_sync.approved']));
  });

  it('discards a held run: nothing applied, and the next scheduled run plans afresh', async () => {
    for (const id of google.users.slice(0, 8).map((u) => u.id)) google.user(id).suspended = true;
    const held = await sync();
    expect(held.status).toBe('held');
    const discarded = await services.directorySync.discard(orgId, connectionId, CLI_ACTOR);
    expect(discarded.status).toBe('discarded');
    expect((await services.directorySources.status(orgId, connectionId)).nextRunAt).not.toBeNull();
    expect((await userNamed('p1@acme.example'))?.active).toBe(true);
    for (const id of google.users.slice(0, 8).map((u) => u.id)) google.user(id).suspended = false;
  });

  it('rides out a burst of 429s from Google', async () => {
    google.failNext(3, 429, 0);
    const run = await sync();
    expect(run.status).toBe('succeeded');
  });

  it('never lets two instances run one connection at once', async () => {
    const other = testServices(store, {
      google: { apiUrl: google.url, tokenUrl: google.tokenUrl, requestsPerMinute: 60_000 },
    });
    try {
      const first = await services.directorySync.start(orgId, connectionId, 'manual');
      await expect(other.directorySync.run(orgId, connectionId, 'manual')).rejects.toBeInstanceOf(ConflictError);
      expect((await first.done).status).toBe('succeeded');
      await expect(other.directorySync.run(orgId, connectionId, 'manual')).resolves.toMatchObject({
        status: 'succeeded',
      });
    } finally {
      await other.close();
    }
  });

  it("records Google's refusal in words, and changes nothing", async () => {
    google.admins.delete(ADMIN);
    try {
      const run = await sync();
      expect(run).toMatchObject({ status: 'failed', errorCode: 'sync.not_admin' });
      expect(run.errorMessage).toContain(ADMIN);
    } finally {
      google.admins.add(ADMIN);
    }
    expect(scope().connectionId).toBe(connectionId);
  });
});
