/**
 * The directory sync through the admin API, as the console drives it: an Owner sets up the
 * Google source, an Admin starts a run and reads what it did, a run the guard holds is
 * listed with its people and approved or discarded; roles and tenancy hold. Both databases.
 */
import { CLI_ACTOR } from '../../src/domain/actor.js';
import { adminClient, type AdminClient } from '../support/admin-client.js';
import { FakeGoogleDirectory, aServiceAccount, type FakeUser } from '../support/google-directory-fake.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

type Json = Record<string, unknown>;
interface Run {
  id: string;
  status: string;
  trigger: string;
  counts: Record<string, number> | null;
  errorCode: string | null;
  errorMessage: string | null;
  held: { total: number; limit: number; users: Array<{ userName: string; action: string }> } | null;
}
interface Status {
  source: string;
  google: Json | null;
  running: boolean;
  nextRunAt: string | null;
  lastRun: Run | null;
  held: Run | null;
  runs: Run[];
  scopes: string[];
}

const ADMIN = 'admin@acme.example';

function person(n: number): FakeUser {
  return {
    id: `20${n}`,
    primaryEmail: `u${n}@acme.example`,
    name: { givenName: `U${n}`, familyName: 'Acme', fullName: `U${n} Acme` },
    orgUnitPath: '/',
    emails: [{ address: `u${n}@acme.example`, primary: true }],
  };
}

describe('directory sync through the admin API', () => {
  const google = new FakeGoogleDirectory();
  const account = aServiceAccount();
  let server: TestServer;
  let owner: AdminClient;
  let admin: AdminClient;
  let stranger: AdminClient;
  let connectionId: string;
  const base = (): string => `/connections/${connectionId}/directory-sync`;

  /** The status once no run goes on (a run started over the API ends on its own). */
  async function settled(): Promise<Status> {
    for (let i = 0; i < 200; i++) {
      const res = await admin.request<Status>('GET', base());
      expect(res.status).toBe(200);
      if (!res.body.running && res.body.runs.every((r) => r.status !== 'running')) return res.body;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('the run did not end');
  }

  beforeAll(async () => {
    await google.start();
    google.delegate(account);
    google.admins.add(ADMIN);
    for (let n = 1; n <= 20; n++) google.addUser(person(n));
    google.addGroup({ id: 'g-eng', email: 'eng@acme.example', name: 'Engineering' }, [
      { id: '201', type: 'USER' },
      { id: '202', type: 'USER' },
      { id: 'g-lab', type: 'GROUP' },
    ]);
    google.addGroup({ id: 'g-lab', email: 'lab@acme.example', name: 'Test Lab' }, [{ id: '203', type: 'USER' }]);
    server = await startTestServer({
      DIRECTORY_SYNC_SCHEDULER: 'false',
      GOOGLE_API_URL: google.url,
      GOOGLE_TOKEN_URL: google.tokenUrl,
      GOOGLE_REQUESTS_PER_MINUTE: '60000',
    });
    const s = server.running.services;
    const org = await s.organizations.create('Acme', CLI_ACTOR);
    connectionId = (await s.connections.create(org.id, { kind: 'google', name: 'Google' }, CLI_ACTOR)).id;
    const issue = async (orgId: string, role: 'Owner' | 'Admin') =>
      (await s.adminTokens.issue(orgId, CLI_ACTOR, { role })).token;
    owner = adminClient(server.url, { token: await issue(org.id, 'Owner') });
    admin = adminClient(server.url, { token: await issue(org.id, 'Admin') });
    const other = await s.organizations.create('Other', CLI_ACTOR);
    stranger = adminClient(server.url, { token: await issue(other.id, 'Owner') });
  });

  afterAll(async () => {
    await server?.close();
    await google.stop();
  });

  it('shows a Google connection on SCIM until an Owner chooses the sync, with the scopes to delegate', async () => {
    const res = await admin.request<Status>('GET', base());
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ source: 'scim', google: null, nextRunAt: null, lastRun: null, held: null });
    expect(res.body.scopes).toContain('https://www.googleapis.com/auth/admin.directory.user.readonly');
  });

  it('refuses the setup to an Admin and to another org, and a broken key in words', async () => {
    const body = { source: 'google', google: { credentials: { serviceAccountKey: account.keyFile, subject: ADMIN } } };
    expect((await admin.request('PUT', base(), body)).status).toBe(403);
    expect((await stranger.request('PUT', base(), body)).status).toBe(404);
    expect((await stranger.request('GET', base())).status).toBe(404);
    const broken = await owner.request<Json>('PUT', base(), {
      source: 'google',
      google: { credentials: { serviceAccountKey: '{"type":"service_account"}', subject: ADMIN } },
    });
    expect(broken.status).toBe(400);
    expect(broken.body.detail).toEqual(expect.any(String));
    const noHttps = await owner.request<Json>('PUT', base(), {
      source: 'google',
      google: { credentials: { serviceAccountKey: account.keyFile, subject: ADMIN }, watch: true },
    });
    expect(noHttps.status).toBe(400);
    expect(noHttps.body.code).toBe('sync.watch_needs_https');
    const noCredentials = await owner.request<Json>('PUT', base(), { source: 'google' });
    expect(noCredentials.status).toBe(400);
    expect(noCredentials.body.code).toBe('sync.credentials_required');
    expect((await admin.request<Status>('GET', base())).body.source).toBe('scim');
  });

  it('takes the Owner’s settings without ever returning the key', async () => {
    const res = await owner.request<Status>('PUT', base(), {
      source: 'google',
      google: {
        credentials: { serviceAccountKey: account.keyFile, subject: ADMIN },
        intervalMinutes: 30,
        guardPercent: 10,
        guardMinimum: 3,
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.source).toBe('google');
    expect(res.body.google).toMatchObject({
      credentials: { kind: 'service_account', clientEmail: account.clientEmail, subject: ADMIN },
      intervalMinutes: 30,
      guard: { percent: 10, minimum: 3 },
    });
    expect(res.body.nextRunAt).toEqual(expect.any(String));
    expect(JSON.stringify(res.body)).not.toMatch(/PRIVATE KEY/);
  });

  it('runs a sync when an Admin asks, and reports what it changed', async () => {
    const started = await admin.request<Run>('POST', `${base()}/runs`);
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({ status: 'running', trigger: 'manual' });
    const status = await settled();
    expect(status.lastRun).toMatchObject({ id: started.body.id, status: 'succeeded', errorMessage: null });
    expect(status.lastRun!.counts).toMatchObject({ usersCreated: 20, groupsCreated: 2, membershipsAdded: 4 });
    const users = await admin.request<{ items: unknown[] }>('GET', `/users?connectionId=${connectionId}&limit=100`);
    expect(users.body.items).toHaveLength(20);
    // The connection's status speaks of the sync, not of SCIM requests.
    const connection = await admin.request<{ status: Json }>('GET', `/connections/${connectionId}`);
    expect(connection.body.status).toMatchObject({
      source: 'google',
      users: 20,
      lastSync: { status: 'succeeded', errorMessage: null },
    });
    // The nesting shows: Engineering includes Test Lab, and counts its member.
    const groups = await admin.request<{ items: Json[] }>('GET', '/groups?q=engineering');
    expect(groups.body.items[0]).toMatchObject({
      displayName: 'Engineering',
      memberCount: 3,
      includes: [{ displayName: 'Test Lab' }],
    });
  });

  it('refuses a second run while one goes on', async () => {
    // Each directory call waits, so the first run is still going when the second is asked for.
    google.latencyMs = 400;
    try {
      const first = await admin.request<Run>('POST', `${base()}/runs`);
      expect(first.status).toBe(201);
      const second = await admin.request<Json>('POST', `${base()}/runs`);
      expect(second.status).toBe(409);
      expect(second.body.code).toBe('sync.running');
    } finally {
      google.latencyMs = 0;
    }
    expect((await settled()).lastRun!.status).toBe('succeeded');
  });

  it('holds a run that would deprovision too many, lists them, and applies them only once an Owner approves', async () => {
    for (let n = 11; n <= 20; n++) google.removeUser(`20${n}`);
    expect((await admin.request('POST', `${base()}/runs`)).status).toBe(201);
    const held = await settled();
    expect(held.held).toMatchObject({ status: 'held', held: { total: 10, limit: 3 } });
    expect(held.held!.held!.users.map((u) => u.userName)).toContain('u15@acme.example');
    expect(held.nextRunAt).toBeNull();
    const u15 = await admin.request<{ items: Array<{ active: boolean }> }>('GET', '/users?q=u15@acme');
    expect(u15.body.items[0]!.active).toBe(true);

    expect((await admin.request('POST', `${base()}/approve`)).status).toBe(403);
    const approved = await owner.request<Run>('POST', `${base()}/approve`);
    expect(approved.status).toBe(201);
    expect(approved.body.trigger).toBe('approval');
    const after = await settled();
    expect(after.held).toBeNull();
    expect(after.lastRun).toMatchObject({ status: 'succeeded', trigger: 'approval' });
    expect(after.lastRun!.counts!.usersDeactivated).toBe(10);
    const gone = await admin.request<{ items: Array<{ active: boolean }> }>('GET', '/users?q=u15@acme');
    expect(gone.body.items[0]!.active).toBe(false);
  });

  it('lets an Admin discard a held run: nothing of it applies', async () => {
    for (let n = 1; n <= 6; n++) google.user(`20${n}`).suspended = true;
    await admin.request('POST', `${base()}/runs`);
    expect((await settled()).held).toMatchObject({ held: { total: 6 } });
    const discarded = await admin.request<Run>('POST', `${base()}/discard`);
    expect(discarded.status).toBe(200);
    expect(discarded.body.status).toBe('discarded');
    const status = await settled();
    expect(status.held).toBeNull();
    expect(status.nextRunAt).toEqual(expect.any(String));
    const u1 = await admin.request<{ items: Array<{ active: boolean }> }>('GET', '/users?q=u1@acme');
    expect(u1.body.items[0]!.active).toBe(true);
    const nothing = await admin.request<Json>('POST', `${base()}/discard`);
    expect(nothing.status).toBe(404);
  });

  it('records a refusal from Google on the run in words an admin can act on', async () => {
    google.delegate(account, ['https://www.googleapis.com/auth/admin.directory.user.readonly']);
    try {
      await admin.request('POST', `${base()}/runs`);
      const status = await settled();
      expect(status.lastRun).toMatchObject({ status: 'failed', errorCode: 'sync.delegation_missing_scope' });
      expect(status.lastRun!.errorMessage).toMatch(/admin\.directory\.group/);
    } finally {
      google.delegate(account);
    }
  });

  it('goes back to SCIM when an Owner says so, and refuses a run then', async () => {
    const res = await owner.request<Status>('PUT', base(), { source: 'scim' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ source: 'scim', nextRunAt: null });
    const refused = await admin.request<Json>('POST', `${base()}/runs`);
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe('sync.not_configured');
  });

  it('describes its operations in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${server.url}/admin/api/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { operationId: string }>>;
    };
    const ops = Object.values(doc.paths).flatMap((p) => Object.values(p).map((o) => o.operationId));
    expect(ops).toEqual(
      expect.arrayContaining([
        'getDirectorySync',
        'configureDirectorySync',
        'startDirectorySync',
        'approveDirectorySync',
        'discardDirectorySync',
      ]),
    );
  });
});
