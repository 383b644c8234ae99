/**
 * The directory sync from the command line: choosing the source, a run with JSON lines of
 * progress, the guard's exit code, approve and discard; and a sync process killed halfway,
 * after which nobody holds access the directory does not give them, and the next run
 * completes the work.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI_ACTOR } from '../../src/domain/actor.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { FakeGoogleDirectory, aServiceAccount, type ServiceAccount } from '../support/google-directory-fake.js';
import { cli } from '../support/run-cli.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { TEST_SESSION_SECRET, testServices } from '../support/test-services.js';

const ROOT = path.resolve(__dirname, '../..');
const ADMIN = 'admin@acme.example';

describe('directory sync from the CLI', () => {
  const google = new FakeGoogleDirectory();
  let database: TestDatabase;
  let store: Store;
  let env: Record<string, string>;
  let account: ServiceAccount;
  let keyFile: string;
  let orgId: string;
  let connectionId: string;

  beforeAll(async () => {
    await google.start();
    account = aServiceAccount();
    google.delegate(account);
    google.admins.add(ADMIN);
    for (let n = 0; n < 40; n++) {
      google.addUser({ id: `2${n}`, primaryEmail: `u${n}@acme.example`, name: { fullName: `U${n}` } });
    }
    for (let g = 0; g < 12; g++) {
      google.addGroup(
        { id: `grp${g}`, email: `grp${g}@acme.example`, name: `Group ${g}` },
        Array.from({ length: 10 }, (_, k): { id: string; type: 'USER' } => ({
          id: `2${(g * 3 + k) % 40}`,
          type: 'USER',
        })),
      );
    }
    database = await createTestDatabase();
    store = await openStore(database.config, { migrate: false });
    env = {
      DATABASE_URL: database.url,
      SESSION_SECRET: TEST_SESSION_SECRET,
      GOOGLE_API_URL: google.url,
      GOOGLE_TOKEN_URL: google.tokenUrl,
      GOOGLE_REQUESTS_PER_MINUTE: '60000',
    };
    const s = testServices(store);
    orgId = (await s.organizations.create('Acme', CLI_ACTOR)).id;
    connectionId = (await s.connections.create(orgId, { kind: 'google', name: 'Google' }, CLI_ACTOR)).id;
    await s.close();
    keyFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ib-key-')), 'key.json');
    fs.writeFileSync(keyFile, account.keyFile);
  });

  afterAll(async () => {
    await store?.close();
    await database?.drop();
    await google.stop();
  });

  it('takes the connection to the Google directory sync, naming the scopes delegation must grant', async () => {
    const okta = await cli(env, 'connection', 'create', '--org', 'acme', '--kind', 'okta', '--name', 'Okta', '--json');
    const refused = await cli(
      env,
      'directory',
      'source',
      '--connection',
      okta.json<{ id: string }>().id,
      '--google',
      '--service-account-key',
      keyFile,
      '--admin',
      ADMIN,
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/Only a Google Workspace connection/);

    const missing = await cli(
      env,
      'directory',
      'source',
      '--connection',
      connectionId,
      '--google',
      '--service-account-key',
      keyFile,
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--admin/);

    const set = await cli(
      env,
      'directory',
      'source',
      '--connection',
      connectionId,
      '--google',
      '--service-account-key',
      keyFile,
      '--admin',
      ADMIN,
      '--guard-minimum',
      '3',
    );
    expect(set.code).toBe(0);
    expect(set.stdout).toContain(`${account.clientEmail} acting as ${ADMIN}`);
    expect(set.stdout).toContain('admin.directory.group.member.readonly');
    const status = await cli(env, 'directory', 'status', '--connection', connectionId, '--json');
    expect(status.json()).toMatchObject({
      source: 'google',
      google: {
        credentials: { kind: 'service_account', clientEmail: account.clientEmail, subject: ADMIN },
        guard: { minimum: 3 },
      },
    });
    expect(JSON.stringify(status.json())).not.toContain('PRIVATE KEY');
  });

  it('runs a sync with JSON lines of progress, then a summary', async () => {
    const run = await cli(env, 'directory', 'sync', '--connection', connectionId, '--json');
    expect(run.code).toBe(0);
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.some((l) => l.event === 'progress' && l.phase === 'users')).toBe(true);
    expect(lines.at(-1)).toMatchObject({
      event: 'finished',
      status: 'succeeded',
      counts: { usersCreated: 40, groupsCreated: 12 },
    });
    const human = await cli(env, 'directory', 'sync', '--connection', connectionId);
    expect(human.stdout).toMatch(/^succeeded .*: 0 created, 0 updated/);
  });

  it('exits 3 on a held run; approve applies it, discard drops it', async () => {
    for (const u of google.users.slice(0, 6)) u.suspended = true;
    const held = await cli(env, 'directory', 'sync', '--connection', connectionId);
    expect(held.code).toBe(3);
    expect(held.stdout).toMatch(/would deprovision 6 user\(s\), more than the guard's 4/);
    expect(held.stderr).toContain(`directory sync approve --connection ${connectionId}`);
    const approved = await cli(env, 'directory', 'sync', 'approve', '--connection', connectionId, '--json');
    expect(approved.code).toBe(0);
    expect(approved.json()).toMatchObject({ status: 'succeeded', counts: { usersDeactivated: 6 } });

    for (const u of google.users.slice(0, 6)) u.suspended = false;
    for (const u of google.users.slice(6, 12)) u.suspended = true;
    expect((await cli(env, 'directory', 'sync', '--connection', connectionId)).code).toBe(3);
    const discarded = await cli(env, 'directory', 'sync', 'discard', '--connection', connectionId, '--json');
    expect(discarded.json()).toMatchObject({ status: 'discarded' });
    expect((await cli(env, 'directory', 'sync', 'discard', '--connection', connectionId)).code).toBe(2);
    for (const u of google.users.slice(6, 12)) u.suspended = false;
    expect((await cli(env, 'directory', 'sync', '--connection', connectionId)).code).toBe(0);
  });

  it('a run killed halfway leaves nobody with access the directory does not give, and the next run completes it', async () => {
    // u0 moves from Group 0 to Group 5 in the directory; the sync is killed while it runs.
    const g0 = google.members.get('grp0')!;
    const g5 = google.members.get('grp5')!;
    g0.splice(
      g0.findIndex((m) => m.id === '20'),
      1,
    );
    g5.push({ id: '20', type: 'USER' });
    const inBoth = async (): Promise<boolean> => {
      const u0 = (await store.repos.users.findByUserName(orgId, 'u0@acme.example'))!;
      const groups = await store.repos.users.groupsOf(orgId, [u0.id]);
      const names = (groups.get(u0.id) ?? []).map((g) => g.displayName);
      return names.includes('Group 0') && names.includes('Group 5');
    };
    google.latencyMs = 60;
    const child = spawn(
      process.execPath,
      [path.join(ROOT, 'bin/identity-bridge.js'), 'directory', 'sync', '--connection', connectionId, '--json'],
      {
        env: { ...process.env, ...env, LOG_LEVEL: 'silent' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (/"phase":"groups","done":6/.test(out)) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', () => reject(new Error(`the sync ended before it could be killed: ${out}`)));
    });
    await new Promise((resolve) => child.once('exit', resolve));
    google.latencyMs = 0;
    expect(await inBoth()).toBe(false);
    const [interrupted] = await store.repos.directorySync.runs(orgId, connectionId, 1);
    expect(interrupted?.status).toBe('running');

    // Its lease expires (two minutes after the last renewal); the next run takes over.
    await store
      .db('directory_sync_state')
      .where({ connection_id: connectionId })
      .update({ lease_until: '2000-01-01T00:00:00.000Z' });
    const next = await cli(env, 'directory', 'sync', '--connection', connectionId, '--json');
    expect(next.code).toBe(0);
    expect(await inBoth()).toBe(false);
    const u0 = (await store.repos.users.findByUserName(orgId, 'u0@acme.example'))!;
    expect(((await store.repos.users.groupsOf(orgId, [u0.id])).get(u0.id) ?? []).map((g) => g.displayName)).toContain(
      'Group 5',
    );
    expect(await store.repos.directorySync.run(orgId, interrupted!.id)).toMatchObject({
      status: 'failed',
      errorCode: 'sync.interrupted',
    });
  }, 60_000); // a child process of the built CLI, started and killed
});
