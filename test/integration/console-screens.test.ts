/**
 * Every console screen in headless Chromium, at a laptop's 1280x800, a phone's 390x844 and
 * the narrowest supported 360x740:
 * no sideways page scroll, no serious or critical accessibility violation (axe-core,
 * injected into the page), a title of its own, the active tab marked. Then, at the laptop
 * size: "Load more" ends without repeating a row, and every destructive action asks first
 * (dismissing changes nothing). Screenshots of each screen at both sizes go to
 * test-artifacts/console-screens/<dialect>/.
 */
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { CLI_ACTOR } from '../../src/domain/actor.js';
import { artifactDir, launchChromium } from '../support/chromium.js';
import { clientFor, type ScimClient } from '../support/scim-client.js';
import { testDialect } from '../support/test-database.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

type Json = Record<string, unknown>;
interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[] }>;
}

const SIZES = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
  { name: 'narrow', width: 360, height: 740 },
] as const;
const AXE = require.resolve('axe-core/axe.min.js');
const USERS = 120;

describe('every console screen at laptop and phone widths', () => {
  let server: TestServer;
  let browser: Browser;
  let orgId: string;
  let scim: ScimClient;
  const shots = artifactDir('console-screens', testDialect());
  const screens: Array<{ name: string; hash: string; heading: RegExp }> = [];

  /** A browser context signed in as the org's Owner (through a one-time setup link). */
  async function ownerContext(width: number, height: number): Promise<BrowserContext> {
    // bypassCSP: the console's policy allows only its own scripts; the test injects axe-core.
    const context = await browser.newContext({ viewport: { width, height }, bypassCSP: true });
    const page = await context.newPage();
    const link = await server.running.services.consoleAccess.issueLink(orgId, CLI_ACTOR);
    await page.goto(link.url);
    await page.waitForURL(/\/admin#\/connections$/);
    await page.close();
    return context;
  }

  /** Serious and critical axe-core violations on the page as it stands. */
  async function seriousViolations(page: Page): Promise<string[]> {
    await page.addScriptTag({ path: AXE });
    const violations = await page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run(): Promise<{ violations: AxeViolation[] }> } }).axe;
      return (await axe.run()).violations;
    });
    return violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  }

  async function horizontalOverflow(page: Page): Promise<number> {
    return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  }

  beforeAll(async () => {
    server = await startTestServer();
    const s = server.running.services;
    const org = await s.organizations.create('Acme Factory', CLI_ACTOR);
    orgId = org.id;
    const okta = await s.connections.create(orgId, { kind: 'okta', name: 'Okta' }, CLI_ACTOR);
    scim = clientFor(server.url, (await s.scimTokens.issue(orgId, okta.id, CLI_ACTOR)).token, orgId, okta.id);
    const google = await s.connections.create(orgId, { kind: 'google', name: 'Google Workspace' }, CLI_ACTOR);
    const ids: string[] = [];
    for (let i = 0; i < USERS; i++) {
      const res = await scim.request<Json>('POST', '/Users', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName: `person${String(i).padStart(3, '0')}@acme.example`,
        displayName: `Person ${i}`,
        emails: [{ value: `person${i}@acme.example`, primary: true }],
        active: true,
      });
      ids.push(res.body.id as string);
    }
    const dana = await scim.request<Json>('POST', '/Users', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: 'dana@acme.example',
      displayName: 'Dana Scully',
      active: true,
    });
    const devs = await scim.request<Json>('POST', '/Groups', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      displayName: 'Lab Developers',
      members: [{ value: dana.body.id }, ...ids.slice(0, 4).map((value) => ({ value }))],
    });
    const contractors = await scim.request<Json>('POST', '/Groups', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      displayName: 'Contractors',
      members: ids.slice(10, 13).map((value) => ({ value })),
    });
    await s.teams.create(
      orgId,
      {
        name: 'lab-dev-users',
        description: 'Developers of the test lab',
        scopes: ['devices:read-update', 'ci:read'],
        deviceGroups: ['test-lab-devices'],
      },
      CLI_ACTOR,
    );
    await s.teams.addMember(orgId, 'lab-dev-users', ids[20]!, CLI_ACTOR);
    await s.mappings.create(
      orgId,
      { connectionId: scim.connectionId, group: devs.body.id as string, teams: ['lab-dev-users'] },
      CLI_ACTOR,
    );
    // Mapped with no team: its members get the User default (every scope): the console warns.
    await s.mappings.create(
      orgId,
      { connectionId: scim.connectionId, group: contractors.body.id as string },
      CLI_ACTOR,
    );
    await s.adminTokens.issue(orgId, CLI_ACTOR, { role: 'User', description: 'ci-runner' });
    await s.webhooks.create(
      orgId,
      { url: 'https://hooks.acme.example/identity', eventTypes: ['user.deactivated'] },
      CLI_ACTOR,
    );
    screens.push(
      { name: 'connections', hash: '#/connections', heading: /^Connections$/ },
      { name: 'connection-okta', hash: `#/connections/${scim.connectionId}`, heading: /Okta/ },
      { name: 'connection-google', hash: `#/connections/${google.id}`, heading: /Google Workspace/ },
      { name: 'directory', hash: '#/directory', heading: /^Directory$/ },
      { name: 'user', hash: `#/users/${dana.body.id as string}`, heading: /dana@acme\.example/ },
      { name: 'teams', hash: '#/teams', heading: /^Teams$/ },
      { name: 'team', hash: '#/teams/lab-dev-users', heading: /^lab-dev-users$/ },
      { name: 'mappings', hash: '#/mappings', heading: /^Mappings$/ },
      { name: 'access', hash: '#/access', heading: /^Access checker$/ },
      { name: 'audit', hash: '#/audit', heading: /^Audit log$/ },
      { name: 'policy', hash: '#/policy', heading: /^Organization policy$/ },
      { name: 'tokens', hash: '#/tokens', heading: /Tokens/ },
      { name: 'webhooks', hash: '#/webhooks', heading: /Webhooks/ },
    );
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  for (const size of SIZES) {
    it(`shows every screen at ${size.width}x${size.height} without sideways scroll or serious accessibility faults`, async () => {
      const context = await ownerContext(size.width, size.height);
      const page = await context.newPage();
      const titles = new Set<string>();
      const faults: string[] = [];
      for (const screen of screens) {
        await page.goto(`${server.url}/admin${screen.hash}`);
        const heading = page.locator('main h1').first();
        await heading.waitFor();
        expect(await heading.textContent()).toMatch(screen.heading);
        await page.waitForLoadState('networkidle');
        const overflow = await horizontalOverflow(page);
        if (overflow > 0) faults.push(`${screen.name}: the page scrolls sideways by ${overflow} px`);
        for (const v of await seriousViolations(page)) faults.push(`${screen.name}: ${v}`);
        const current = await page.locator('nav a[aria-current="page"]').count();
        if (current !== 1) faults.push(`${screen.name}: ${current} tabs marked current`);
        titles.add(await page.title());
        await page.screenshot({ path: path.join(shots, `${size.name}-${screen.name}.png`), fullPage: true });
      }
      // The sign-in page and the setup page, as someone without a session meets them.
      const outside = await browser.newContext({
        viewport: { width: size.width, height: size.height },
        bypassCSP: true,
      });
      const stranger = await outside.newPage();
      await stranger.goto(`${server.url}/admin`);
      await stranger.getByRole('link', { name: 'Sign in with SSO' }).waitFor();
      for (const v of await seriousViolations(stranger)) faults.push(`signed-out: ${v}`);
      if ((await horizontalOverflow(stranger)) > 0) faults.push('signed-out: the page scrolls sideways');
      await stranger.screenshot({ path: path.join(shots, `${size.name}-signed-out.png`), fullPage: true });
      const link = await server.running.services.consoleAccess.issueLink(null, CLI_ACTOR);
      await stranger.goto(link.url);
      await stranger.getByTestId('org-name-input').waitFor();
      for (const v of await seriousViolations(stranger)) faults.push(`setup: ${v}`);
      if ((await horizontalOverflow(stranger)) > 0) faults.push('setup: the page scrolls sideways');
      await stranger.screenshot({ path: path.join(shots, `${size.name}-setup.png`), fullPage: true });
      await outside.close();
      await context.close();
      expect(faults).toEqual([]);
      expect(titles.size).toBe(screens.length);
    }, 180_000);
  }

  it('answers the favicon browsers ask for', async () => {
    const icon = await fetch(`${server.url}/favicon.ico`);
    expect([icon.status, icon.headers.get('content-type')]).toEqual([200, 'image/svg+xml']);
    expect(await icon.text()).toMatch(/^<svg /);
  });

  it('loads more users and audit events until the last page, without repeating a row', async () => {
    const context = await ownerContext(1280, 800);
    const page = await context.newPage();
    await page.goto(`${server.url}/admin#/directory`);
    const more = page.getByRole('button', { name: 'Load more users' });
    await page.getByTestId('users').locator('tbody tr').first().waitFor();
    while (await more.isVisible()) {
      const before = await page.getByTestId('users').locator('tbody tr').count();
      await more.click();
      await page.waitForFunction((n) => document.querySelectorAll('[data-testid="users"] tbody tr').length > n, before);
    }
    const names = await page.getByTestId('users').locator('tbody tr td:first-child').allTextContents();
    expect(names.length).toBe(USERS + 1);
    expect(new Set(names).size).toBe(names.length);
    expect(await more.isHidden()).toBe(true);

    await page.goto(`${server.url}/admin#/audit`);
    const rows = page.getByTestId('audit-row');
    await rows.first().waitFor();
    const moreEvents = page.getByRole('button', { name: 'Load more' });
    while (await moreEvents.isVisible()) {
      const before = await rows.count();
      await moreEvents.click();
      await page.waitForFunction((n) => document.querySelectorAll('[data-testid="audit-row"]').length > n, before);
    }
    const texts = await rows.allTextContents();
    const total = (await server.running.services.auditTrail.list(orgId, { limit: 10_000 })).length;
    expect(texts.length).toBe(total);
    expect(texts.length).toBeGreaterThan(100);
    // Who did it is a name: the connection, not its token or id.
    expect(texts.some((t) => t.includes('Okta (SCIM)'))).toBe(true);
    expect(texts.join('\n')).not.toMatch(/SCIM token of connection/);
    await context.close();
  }, 120_000);

  it('asks before every destructive action, and dismissing changes nothing', async () => {
    const s = server.running.services;
    const context = await ownerContext(1280, 800);
    const page = await context.newPage();
    /** Clicks, dismisses the confirmation the click must raise, and returns its text. */
    const dismissed = async (click: () => Promise<void>): Promise<string> => {
      let message = '';
      page.once('dialog', (d) => {
        message = d.message();
        void d.dismiss();
      });
      await click();
      await page.waitForFunction(() => true);
      for (let i = 0; i < 50 && !message; i++) await page.waitForTimeout(100);
      return message;
    };

    await page.goto(`${server.url}/admin#/connections/${scim.connectionId}`);
    await page.getByTestId('scim-tokens').waitFor();
    expect(await dismissed(() => page.getByRole('button', { name: /^Revoke ibscim_/ }).click())).toMatch(/401/);
    expect(await dismissed(() => page.getByRole('button', { name: /^Rotate ibscim_/ }).click())).toMatch(/shown once/);
    expect((await scim.request('GET', '/Users?count=1')).status).toBe(200);

    await page.goto(`${server.url}/admin#/mappings`);
    await page.getByTestId('mappings').waitFor();
    expect(
      await dismissed(() => page.getByRole('button', { name: 'Delete the mapping of Lab Developers' }).click()),
    ).toMatch(/lose what it gives \(team lab-dev-users\)/);
    expect((await s.mappings.list(orgId)).length).toBe(2);

    await page.goto(`${server.url}/admin#/teams/lab-dev-users`);
    await page.getByTestId('scope-grid').waitFor();
    expect(await dismissed(() => page.getByRole('button', { name: /^Remove person020/ }).click())).toMatch(
      /lose what the team grants/,
    );
    await page.getByLabel('ci:read', { exact: true }).uncheck();
    expect(await dismissed(() => page.getByRole('button', { name: 'Save team' }).click())).toMatch(/lose ci:read/);
    expect(await dismissed(() => page.getByRole('button', { name: 'Delete team' }).click())).toMatch(/lose/);
    const team = await s.teams.get(orgId, 'lab-dev-users');
    expect([team.scopes, team.members.manual]).toEqual([['ci:read', 'devices:read-update'], 1]);

    // The policy: a narrowing is previewed, and saving it asks, naming how many lose access.
    await page.goto(`${server.url}/admin#/policy`);
    await page.getByTestId('every-scope-warning').waitFor();
    await page.getByTestId('narrow-default').click();
    await page.getByTestId('mapping-preview').waitFor();
    expect(await page.getByTestId('preview-users').textContent()).toMatch(/person01[0-2]@acme\.example/);
    expect(await dismissed(() => page.getByTestId('save-policy').click())).toMatch(/cuts access for 3 user\(s\)/);
    expect((await s.policies.get(orgId)).defaultUserScopes).toBeNull();

    await page.goto(`${server.url}/admin#/tokens`);
    await page.getByTestId('api-token-list').waitFor();
    expect(await dismissed(() => page.getByRole('button', { name: /^Revoke ibapi_/ }).click())).toMatch(/refused/);

    await page.goto(`${server.url}/admin#/webhooks`);
    await page.getByTestId('webhook-list').waitFor();
    expect(
      await dismissed(() =>
        page
          .getByRole('button', { name: /^Remove/ })
          .first()
          .click(),
      ),
    ).toMatch(/receives nothing more/);
    expect((await s.webhooks.list(orgId)).length).toBe(1);
    await context.close();
  }, 120_000);
});
