/**
 * The admin console in headless Chromium, as a new org's Owner meets it: the setup link,
 * an Okta connection and its SCIM token (then users and groups pushed with that token), a
 * team with scopes and a device group, a mapping saved after its preview, a user's access
 * page with the explanation, the access checker, the audit log; and an Admin, who cannot
 * reach the policy; a Google Workspace connection set to the directory sync, synced now, and
 * a run the guard holds approved from its banner. A screenshot of each screen goes to test-artifacts/console/<dialect>/.
 */
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { CLI_ACTOR } from '../../src/domain/actor.js';
import { artifactDir, launchChromium } from '../support/chromium.js';
import { FakeGoogleDirectory, aServiceAccount } from '../support/google-directory-fake.js';
import { testDialect } from '../support/test-database.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { startWebhookReceiver } from '../support/webhook-receiver.js';

type Json = Record<string, unknown>;

describe('admin console in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  const shots = artifactDir('console', testDialect());
  let shot = 0;
  const google = new FakeGoogleDirectory();
  const googleAccount = aServiceAccount();
  const screenshot = async (p: Page, name: string): Promise<void> => {
    shot += 1;
    await p.screenshot({ path: path.join(shots, `${String(shot).padStart(2, '0')}-${name}.png`), fullPage: true });
  };

  beforeAll(async () => {
    await google.start();
    google.delegate(googleAccount);
    google.admins.add('admin@acme.example');
    for (let n = 1; n <= 8; n++) {
      google.addUser({
        id: `g${n}`,
        primaryEmail: `g${n}@acme.example`,
        name: { givenName: `G${n}`, familyName: 'Acme', fullName: `G${n} Acme` },
        orgUnitPath: '/',
      });
    }
    google.addGroup({ id: 'grp-eng', email: 'eng@acme.example', name: 'Google Engineering' }, [
      { id: 'g1', type: 'USER' },
      { id: 'grp-lab', type: 'GROUP' },
    ]);
    google.addGroup({ id: 'grp-lab', email: 'lab@acme.example', name: 'Google Lab' }, [{ id: 'g2', type: 'USER' }]);
    server = await startTestServer({
      GOOGLE_API_URL: google.url,
      GOOGLE_TOKEN_URL: google.tokenUrl,
      GOOGLE_REQUESTS_PER_MINUTE: '60000',
      // Runs start from the console here, not from the schedule.
      DIRECTORY_SYNC_SCHEDULER: 'false',
      // The webhook receiver of the test listens on loopback.
      OUTBOUND_ALLOWED_NETWORKS: '127.0.0.1',
    });
    browser = await launchChromium();
    page = await browser.newPage();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await google.stop();
  });

  it('takes a new Owner from the setup link to a mapped group and an explained decision', async () => {
    const s = server.running.services;
    const link = await s.consoleAccess.issueLink(null, CLI_ACTOR);

    // Setup link: name the organization, land on an empty connections page.
    await page.goto(link.url);
    await page.getByTestId('org-name-input').fill('Acme Factory');
    await screenshot(page, 'setup-link');
    await page.getByRole('button', { name: 'Create organization' }).click();
    await page.waitForURL(/\/admin#\/connections$/);
    await page.getByTestId('empty-state').waitFor();
    expect(await page.getByTestId('org-name').textContent()).toBe('Acme Factory');
    expect(page.url()).not.toContain(link.url.split('#')[1]);
    await screenshot(page, 'connections-empty');

    // An Okta connection, with the instructions and a SCIM token shown once.
    await page.getByTestId('connection-kind').selectOption('okta');
    await page.getByTestId('connection-name').fill('Okta');
    await page.getByRole('button', { name: 'Add connection' }).click();
    await page.getByText('SCIM connector base URL').waitFor();
    await page.getByTestId('issue-token').click();
    const token = (await page.getByTestId('scim-token-value').textContent())!;
    expect(token).toMatch(/^ibscim_/);
    // The token list shows the new token at once, not "No token yet" until a reload.
    await page.getByTestId('scim-tokens').waitFor();
    expect(await page.getByTestId('scim-tokens').textContent()).toContain(token.slice(0, 12));
    await screenshot(page, 'connection-okta-token');
    const connectionId = /#\/connections\/(.+)$/.exec(page.url())![1]!;

    // The IdP pushes users and a group with that token.
    const scim = async (method: string, p: string, body: unknown): Promise<Json> => {
      const res = await fetch(`${server.url}/scim/v2${p}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
        body: JSON.stringify(body),
      });
      expect(res.status).toBeLessThan(300);
      return (await res.json()) as Json;
    };
    const ids: string[] = [];
    for (const userName of ['dana@acme.example', 'eli@acme.example', 'fay@acme.example']) {
      ids.push(
        (await scim('POST', '/Users', { userName, displayName: userName.split('@')[0], active: true })).id as string,
      );
    }
    await scim('POST', '/Groups', {
      displayName: 'Lab Developers',
      members: ids.slice(0, 2).map((value) => ({ value })),
    });
    await page.reload();
    await page.getByText('Users received: 3').waitFor();
    await screenshot(page, 'connection-status');

    // A team with scopes from the grid and a device group.
    await page.getByRole('link', { name: 'Teams' }).click();
    await page.getByTestId('team-name').fill('lab-dev-users');
    await page.getByLabel('devices:read-update').check();
    await page.getByLabel('ci:read', { exact: true }).check();
    await page.getByTestId('team-device-groups').fill('test-lab-devices');
    await screenshot(page, 'team-new');
    await page.getByRole('button', { name: 'Create team' }).click();
    await page.waitForURL(/#\/teams\/lab-dev-users$/);
    await screenshot(page, 'team-detail');

    // A mapping, previewed before it is saved.
    await page.getByRole('link', { name: 'Mappings' }).click();
    await page.getByTestId('mapping-group').selectOption({ label: 'Lab Developers (2 members)' });
    await page.getByLabel('lab-dev-users').check();
    expect(await page.getByTestId('save-mapping').isDisabled()).toBe(true);
    await page.getByTestId('preview-mapping').click();
    const preview = page.getByTestId('mapping-preview');
    await preview.waitFor();
    expect(await preview.textContent()).toContain('2 user(s) in the group; 2 would change');
    expect(await page.getByTestId('preview-users').textContent()).toContain('team lab-dev-users');
    expect(await page.getByTestId('preview-users').textContent()).toContain(
      'device group test-lab-devices: read-update',
    );
    await screenshot(page, 'mapping-preview');
    expect(await s.mappings.list((await s.organizations.resolve('acme-factory')).id)).toEqual([]);
    await page.getByTestId('save-mapping').click();
    await page.getByTestId('mappings').waitFor();
    expect(await page.getByTestId('mappings').textContent()).toContain('Lab Developers');
    await screenshot(page, 'mappings');

    // A user's access page with the explanation chain.
    await page.getByRole('link', { name: 'Directory' }).click();
    await page.getByTestId('directory-search').fill('dana');
    await page.getByRole('link', { name: 'dana@acme.example' }).click();
    const explanation = page.getByTestId('explanation');
    await explanation.waitFor();
    const chain = (await explanation.textContent())!;
    expect(chain).toContain('Lab Developers');
    expect(chain).toContain('lab-dev-users');
    expect(await page.getByTestId('user-scopes').textContent()).toContain('ci:read');
    expect(await page.getByTestId('user-device-groups').textContent()).toMatch(/test-lab-devices.*read-update/);
    // Her history: the mapping just saved gave her the team, told in words with its cause.
    const history = page.getByTestId('history-entry');
    await history.first().waitFor();
    const entry = (await history.first().textContent())!;
    expect(entry).toContain('joined team lab-dev-users');
    expect(entry).toContain('gained devices:read-update on test-lab-devices');
    expect(entry).toContain('An admin (console) created the mapping of group Lab Developers');
    await screenshot(page, 'user-access');

    // The access checker: a part of a name is not a user, but it suggests the ones it matches.
    await page.getByRole('link', { name: 'Access checker' }).click();
    // The user's page holds a checker form too, and stays until the checker's page has loaded.
    await page.getByRole('heading', { name: 'Access checker' }).waitFor();
    await page.getByTestId('check-user').fill('dana');
    await page.getByRole('button', { name: 'Check' }).click();
    await page.getByTestId('check-suggestions').getByRole('button', { name: 'dana@acme.example' }).click();
    await page.getByText(/^(Allowed|Denied)\./).waitFor();
    expect(await page.getByTestId('check-user').inputValue()).toBe('dana@acme.example');
    await page.getByTestId('check-user').fill('dana@acme.example');
    await page.getByTestId('check-scope').selectOption('devices:read-update');
    await page.getByTestId('check-device-group').fill('test-lab-devices');
    await page.getByRole('button', { name: 'Check' }).click();
    await page.getByText('Allowed.').waitFor();
    await screenshot(page, 'access-check');
    await page.getByTestId('check-user').fill('fay@acme.example');
    await page.getByRole('button', { name: 'Check' }).click();
    await page.getByText('Denied.').waitFor();

    // The audit log and the policy (an Owner's).
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByTestId('audit').getByText('mapping.created').waitFor();
    await screenshot(page, 'audit');
    await page.getByRole('link', { name: 'Policy' }).click();
    await page.getByTestId('policy-form').waitFor();
    await screenshot(page, 'policy');
    expect(connectionId).toEqual(expect.any(String));
  }, 90_000);

  it('adds a webhook endpoint, shows its secret once, and lists deliveries with a Redeliver button', async () => {
    const receiver = await startWebhookReceiver();
    try {
      await page.goto(`${server.url}/admin#/webhooks`);
      await page.getByLabel('URL').fill(receiver.url);
      await page.getByLabel('user.deactivated').check();
      await page.getByRole('button', { name: 'Add endpoint' }).click();
      const secret = (await page.getByTestId('webhook-secret').textContent())!;
      expect(secret).toMatch(/^whsec_/);
      expect(await page.getByTestId('webhook-list').textContent()).toContain(receiver.url);
      await screenshot(page, 'webhooks');

      const s = server.running.services;
      const orgId = (await s.organizations.resolve('acme-factory')).id;
      const fay = await s.directoryViews.users(orgId, { q: 'fay', limit: 1 });
      const connection = (await s.connections.list(orgId))[0]!;
      await s.users.update(
        { orgId, connectionId: connection.id },
        fay[0]!.id,
        (current) => ({ ...current, active: false }),
        {},
        CLI_ACTOR,
      );
      await receiver.waitFor(1, 20_000);
      expect(receiver.verified(secret).map((m) => m.type)).toEqual(['user.deactivated']);

      await page.getByRole('button', { name: 'Deliveries' }).click();
      const log = page.getByTestId('webhook-delivery-list');
      await log.getByText('delivered').waitFor();
      expect(await log.textContent()).toContain('200');
      await screenshot(page, 'webhook-deliveries');
      await page.getByRole('button', { name: /^Redeliver user\.deactivated/ }).click();
      await receiver.waitFor(2, 20_000);
      expect(receiver.received[1]!.headers['webhook-id']).toBe(receiver.received[0]!.headers['webhook-id']);
    } finally {
      await receiver.close();
    }
  }, 60_000);

  it('lets the Owner issue a decision API token, see it used, and revoke it after confirming', async () => {
    await page.goto(`${server.url}/admin#/tokens`);
    await page.getByTestId('api-tokens').waitFor();
    await page.getByTestId('api-tokens').getByLabel('Description').fill('ci-runner');
    await page.getByTestId('api-tokens').getByRole('button', { name: 'Issue token' }).click();
    const token = (await page.getByTestId('api-token-value').textContent())!;
    expect(token).toMatch(/^ibapi_/);
    expect(await page.getByTestId('api-token-list').textContent()).toMatch(/ci-runner.*active until/);
    const decision = await fetch(`${server.url}/v1/access/check`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'nobody@acme.example', scope: 'ci:read' }),
    });
    expect(decision.status).toBe(404);
    await page.reload();
    await page.getByTestId('api-token-list').waitFor();
    expect(await page.getByTestId('api-token-list').textContent()).not.toMatch(/never used/);
    expect(await page.getByTestId('admin-tokens').count()).toBe(1);
    await screenshot(page, 'tokens');

    // Dismissing the confirmation keeps the token; accepting it revokes the token at once.
    page.once('dialog', (d) => void d.dismiss());
    await page.getByRole('button', { name: /^Revoke ibapi_/ }).click();
    expect(await page.getByTestId('api-token-list').textContent()).not.toMatch(/revoked/);
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: /^Revoke ibapi_/ }).click();
    await page
      .getByTestId('api-token-list')
      .getByText(/revoked/)
      .waitFor();
    const refused = await fetch(`${server.url}/v1/access/check`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'nobody@acme.example', scope: 'ci:read' }),
    });
    expect(refused.status).toBe(401);
  }, 60_000);

  it('sets a Google connection to the directory sync, syncs it now, and approves a run the guard holds', async () => {
    await page.goto(`${server.url}/admin#/connections`);
    await page.getByTestId('connection-kind').selectOption('google');
    await page.getByTestId('connection-name').fill('Google');
    await page.getByRole('button', { name: 'Add connection' }).click();
    await page.getByTestId('sync-source').waitFor();
    await page.getByTestId('sync-source').selectOption('google');
    await page.getByRole('button', { name: 'Choose' }).click();
    const settings = page.getByTestId('sync-settings');
    await settings.getByLabel('Service account key (JSON)').fill(googleAccount.keyFile);
    await settings.getByLabel('Admin to act as').fill('admin@acme.example');
    await settings.getByRole('button', { name: 'Start syncing from Google' }).click();
    await page.getByText('No run yet.').waitFor();
    // The SCIM token card is not offered: Google is the source.
    expect(await page.getByTestId('issue-token').count()).toBe(0);

    await page.getByTestId('sync-now').click();
    const status = page.getByTestId('sync-status');
    await status.getByText(/Last run: .*succeeded/).waitFor({ timeout: 30_000 });
    expect(await status.textContent()).toMatch(/8 created, 2 groups created, 3 memberships added/);
    // The connection's status line speaks of the sync now.
    await page
      .getByTestId('connection-status')
      .getByText(/Google directory sync: last run .*succeeded/)
      .waitFor();
    expect(await page.getByTestId('connection-status').textContent()).toMatch(/Users: 8/);
    await screenshot(page, 'connection-google-synced');

    // The directory shows the nesting.
    await page.goto(`${server.url}/admin#/directory`);
    const row = page.getByTestId('groups').getByRole('row', { name: /Google Engineering/ });
    await row.waitFor();
    expect(await row.textContent()).toMatch(/Google Lab/);

    // Six of eight leave Google at once: the guard holds the run, the banner lists them.
    for (let n = 3; n <= 8; n++) google.removeUser(`g${n}`);
    await page.goBack();
    await page.getByTestId('sync-now').click();
    const banner = page.getByTestId('sync-held');
    await banner.waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('sync-held-users').textContent()).toMatch(/g5@acme\.example/);
    await screenshot(page, 'connection-google-held');
    page.once('dialog', (d) => void d.accept());
    await banner.getByRole('button', { name: /^Approve/ }).click();
    await status.getByText(/Last run: .*succeeded/).waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('sync-held').count()).toBe(0);
    expect(await status.textContent()).toMatch(/6 deactivated/);
  }, 90_000);

  it('keeps an Admin out of the policy', async () => {
    const s = server.running.services;
    const org = await s.organizations.resolve('acme-factory');
    const [connection] = await s.connections.list(org.id);
    const user = await server.running.store.repos.users.findByUserName(org.id, 'eli@acme.example');
    const group = (
      await server.running.store.readModels.directory.groups(org.id, { q: 'lab developers', limit: 1 })
    )[0]!;
    await s.mappings
      .create(org.id, { connectionId: connection!.id, group: group.id, role: 'Admin' }, CLI_ACTOR)
      .catch(async () => {
        const [m] = await s.mappings.list(org.id);
        await s.mappings.update(org.id, m!.id, { role: 'Admin' }, CLI_ACTOR);
      });
    const { token } = await s.sessions.start({
      orgId: org.id,
      userId: user!.id,
      connectionId: connection!.id,
      protocol: 'saml',
    });
    const context = await browser.newContext();
    await context.addCookies([{ name: 'ib_session', value: token, url: server.url }]);
    const adminPage = await context.newPage();
    await adminPage.goto(`${server.url}/admin#/connections`);
    await adminPage.getByRole('link', { name: 'Teams' }).waitFor();
    expect(await adminPage.getByRole('link', { name: 'Policy' }).count()).toBe(0);
    await adminPage.goto(`${server.url}/admin#/policy`);
    await adminPage.getByTestId('forbidden').waitFor();
    expect(await adminPage.getByTestId('forbidden').textContent()).toMatch(/Owner/);
    await screenshot(adminPage, 'admin-policy-forbidden');
    await context.close();
  }, 60_000);
});
