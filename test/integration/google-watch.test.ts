/**
 * Google's change notifications (users.watch): a run opens a channel to PUBLIC_URL when the
 * setting is on; a notification carrying the channel's token makes the next run due now and
 * that run is recorded as Google's doing; a wrong token, channel or connection is refused
 * and changes nothing; a channel near its end is replaced and the old one stopped; turning
 * the setting off stops it. Both databases.
 */
import { CLI_ACTOR } from '../../src/domain/actor.js';
import { FakeGoogleDirectory, aServiceAccount, type FakeChannel } from '../support/google-directory-fake.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const ADMIN = 'admin@acme.example';
const PUBLIC_URL = 'https://bridge.acme.example';

describe("Google's change notifications", () => {
  const google = new FakeGoogleDirectory();
  const account = aServiceAccount();
  let server: TestServer;
  let orgId: string;
  let connectionId: string;

  const only = (): FakeChannel => {
    expect(google.channels.size).toBe(1);
    return [...google.channels.values()][0]!;
  };
  /** Google posting a notification for `channel` (to the listening address; PUBLIC_URL is the name it is known by). */
  const notify = (channel: { id: string; token: string }, state = 'update', connection = connectionId) =>
    fetch(`${server.url}/google/notifications/${connection}`, {
      method: 'POST',
      headers: {
        'x-goog-channel-id': channel.id,
        'x-goog-channel-token': channel.token,
        'x-goog-resource-state': state,
        'x-goog-message-number': '2',
      },
    });
  const schedule = () => server.running.store.repos.directorySync.schedule(orgId, connectionId);
  const configure = (watch: boolean) =>
    server.running.services.directorySources.configure(
      orgId,
      connectionId,
      'google',
      { credentials: { serviceAccountKey: account.keyFile, subject: ADMIN }, watch },
      CLI_ACTOR,
    );

  beforeAll(async () => {
    await google.start();
    google.delegate(account);
    google.admins.add(ADMIN);
    google.addUser({ id: '501', primaryEmail: 'ana@acme.example', name: { fullName: 'Ana' }, orgUnitPath: '/' });
    server = await startTestServer({
      PUBLIC_URL,
      DIRECTORY_SYNC_SCHEDULER: 'false',
      GOOGLE_API_URL: google.url,
      GOOGLE_TOKEN_URL: google.tokenUrl,
      GOOGLE_REQUESTS_PER_MINUTE: '60000',
    });
    const s = server.running.services;
    orgId = (await s.organizations.create('Acme', CLI_ACTOR)).id;
    connectionId = (await s.connections.create(orgId, { kind: 'google', name: 'Google' }, CLI_ACTOR)).id;
  });

  afterAll(async () => {
    await server?.close();
    await google.stop();
  });

  it('opens a channel to PUBLIC_URL at the first run once the setting is on', async () => {
    await configure(true);
    const run = await server.running.services.directorySync.run(orgId, connectionId, 'manual');
    expect(run).toMatchObject({ status: 'succeeded', errorCode: null });
    const channel = only();
    expect(channel.address).toBe(`${PUBLIC_URL}/google/notifications/${connectionId}`);
    expect(channel.token.length).toBeGreaterThanOrEqual(32);
    const status = await server.running.services.directorySources.status(orgId, connectionId);
    expect(status.google?.watch).toBe(true);
    expect(status.watching?.until).toBe(new Date(Number(channel.expiration)).toISOString());
  });

  it('refuses a wrong token, channel or connection alike, and changes nothing', async () => {
    const channel = only();
    const before = await schedule();
    expect((await notify({ id: channel.id, token: 'not-the-token' })).status).toBe(401);
    expect((await notify({ id: 'another-channel', token: channel.token })).status).toBe(401);
    expect((await notify(channel, 'update', 'no-such-connection')).status).toBe(401);
    expect(await schedule()).toEqual(before);
  });

  it("takes the channel's first message (sync) as a greeting, not a change", async () => {
    const before = await schedule();
    expect((await notify(only(), 'sync')).status).toBe(200);
    expect(await schedule()).toEqual(before);
  });

  it('makes the next run due now on a change, and that run says Google asked for it', async () => {
    google.addUser({ id: '502', primaryEmail: 'ben@acme.example', name: { fullName: 'Ben' }, orgUnitPath: '/' });
    const before = await schedule();
    expect(Date.parse(before!.nextRunAt!)).toBeGreaterThan(Date.now() + 60_000);
    expect((await notify(only(), 'add')).status).toBe(200);
    expect(Date.parse((await schedule())!.nextRunAt!)).toBeLessThanOrEqual(Date.now());
    const ran = await server.running.services.directorySync.runDue(() => undefined);
    expect(ran).toBe(1);
    const [latest] = await server.running.store.repos.directorySync.runs(orgId, connectionId, 1);
    expect(latest).toMatchObject({ trigger: 'watch', status: 'succeeded' });
    expect(latest!.counts!.usersCreated).toBe(1);
    expect(Date.parse((await schedule())!.nextRunAt!)).toBeGreaterThan(Date.now() + 60_000);
  });

  it('replaces a channel near its end and stops the old one', async () => {
    const old = only();
    const repos = server.running.store.repos.directorySync;
    const stored = (await repos.watchChannel(connectionId))!;
    await repos.setWatchChannel(orgId, connectionId, {
      ...stored,
      expiresAt: new Date(Date.now() + 10 * 60_000).toISOString(),
    });
    await server.running.services.directorySync.run(orgId, connectionId, 'manual');
    const fresh = only();
    expect(fresh.id).not.toBe(old.id);
    expect((await notify(old)).status).toBe(401);
    expect((await notify(fresh, 'update')).status).toBe(200);
  });

  it('stops the channel at once when the connection goes back to SCIM', async () => {
    const channel = only();
    await server.running.services.directorySources.configure(orgId, connectionId, 'scim', {}, CLI_ACTOR);
    expect(google.channels.size).toBe(0);
    expect((await notify(channel)).status).toBe(401);
    await configure(true);
    await server.running.services.directorySync.run(orgId, connectionId, 'manual');
    expect(google.channels.size).toBe(1);
  });

  it('stops the channel when the setting is turned off', async () => {
    await configure(false);
    await server.running.services.directorySync.run(orgId, connectionId, 'manual');
    expect(google.channels.size).toBe(0);
    expect((await server.running.services.directorySources.status(orgId, connectionId)).watching).toBeNull();
  });
});
