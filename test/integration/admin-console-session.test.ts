/**
 * Console sessions: the one-time setup link (the first Owner, before any IdP is connected),
 * CSRF protection of cookie sessions, and SSO-signed-in employees whose console role is
 * their current effective role.
 */
import { CLI_ACTOR } from '../../src/domain/actor.js';
import { adminClient } from '../support/admin-client.js';
import { newConnection, type ScimClient } from '../support/scim-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

type Json = Record<string, unknown>;
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

function secretOf(url: string): string {
  return new URL(url).hash.slice(1);
}

describe('console sessions', () => {
  let server: TestServer;
  let okta: ScimClient;

  const post = (path: string, body: unknown) =>
    fetch(`${server.url}/admin/api/v1${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  async function redeem(secret: string, orgName?: string): Promise<{ status: number; cookie: string; body: Json }> {
    const res = await post('/setup/redeem', { secret, ...(orgName ? { orgName } : {}) });
    const setCookie = res.headers.get('set-cookie') ?? '';
    return { status: res.status, cookie: setCookie.split(';')[0]!, body: (await res.json()) as Json };
  }

  beforeAll(async () => {
    server = await startTestServer();
    okta = await newConnection(server.running.services, server.url, 'okta');
  });

  afterAll(async () => {
    await server?.close();
  });

  describe('setup link', () => {
    it("signs its holder in as the org's Owner once, with a CSRF-protected cookie session", async () => {
      const link = await server.running.services.consoleAccess.issueLink(okta.orgId, CLI_ACTOR);
      expect(link.url).toMatch(new RegExp(`^${server.url}/admin/setup#`));
      expect(await (await post('/setup/inspect', { secret: secretOf(link.url) })).json()).toEqual({
        needsOrgName: false,
      });

      const session = await redeem(secretOf(link.url));
      expect(session.status).toBe(200);
      expect(session.body.orgId).toBe(okta.orgId);
      expect((await post('/setup/inspect', { secret: 'an-unknown-link-secret' })).status).toBe(401);

      const noCsrf = adminClient(server.url, { cookie: session.cookie });
      const me = await noCsrf.request<Json>('GET', '/session');
      expect(me.body).toMatchObject({ role: 'Owner', via: 'console', org: { id: okta.orgId } });
      const csrfToken = me.body.csrfToken as string;
      expect(csrfToken).toEqual(expect.any(String));

      const refused = await noCsrf.request<Json>('POST', '/teams', { name: 'from-console' });
      expect(refused.status).toBe(403);
      expect(refused.body.code).toBe('auth.csrf');
      const wrong = adminClient(server.url, { cookie: session.cookie, csrfToken: `${csrfToken}x` });
      expect((await wrong.request('POST', '/teams', { name: 'from-console' })).status).toBe(403);
      const crossSite = adminClient(server.url, { cookie: session.cookie, csrfToken, origin: 'https://evil.example' });
      expect((await crossSite.request('POST', '/teams', { name: 'from-console' })).status).toBe(403);
      const browser = adminClient(server.url, { cookie: session.cookie, csrfToken, origin: server.url });
      expect((await browser.request('POST', '/teams', { name: 'from-console' })).status).toBe(201);
      expect((await browser.request('GET', '/policy')).status).toBe(200);
      const audit = await browser.request<{ items: Json[] }>('GET', '/audit?action=team.created');
      expect(audit.body.items[0]).toMatchObject({ actorLabel: 'setup link holder', targetLabel: 'from-console' });

      const again = await redeem(secretOf(link.url));
      expect(again.status).toBe(401);

      expect((await browser.request('POST', '/session/logout')).status).toBe(204);
      expect((await browser.request('GET', '/session')).status).toBe(401);
    });

    it('creates the organization when the link names none (the first start)', async () => {
      const link = await server.running.services.consoleAccess.issueLink(null, CLI_ACTOR);
      expect(await (await post('/setup/inspect', { secret: secretOf(link.url) })).json()).toEqual({
        needsOrgName: true,
      });
      const unnamed = await redeem(secretOf(link.url));
      expect(unnamed.status).toBe(400);
      expect(unnamed.body.code).toBe('setup.org_name_required');
      const named = await redeem(secretOf(link.url), 'First Light Ltd');
      expect(named.status).toBe(200);
      const me = await adminClient(server.url, { cookie: named.cookie }).request<Json>('GET', '/session');
      expect(me.body).toMatchObject({ role: 'Owner', org: { name: 'First Light Ltd', slug: 'first-light-ltd' } });
    });

    it('refuses an expired link', async () => {
      const link = await server.running.services.consoleAccess.issueLink(okta.orgId, CLI_ACTOR);
      await server.running.store
        .db('setup_links')
        .where({ id: link.id })
        .update({
          expires_at: new Date(Date.now() - 1000).toISOString(),
        });
      expect((await redeem(secretOf(link.url))).status).toBe(401);
    });
  });

  describe('SSO-signed-in employees', () => {
    it('get the console with their current role: Admin while mapped as Admin, 403 once the IdP removes them', async () => {
      const s = server.running.services;
      const user = await okta.request<Json>('POST', '/Users', { userName: 'ivy@example.com', active: true });
      const other = await okta.request<Json>('POST', '/Users', { userName: 'max@example.com', active: true });
      const group = await okta.request<Json>('POST', '/Groups', {
        displayName: 'IT Admins',
        members: [{ value: user.body.id }],
      });
      const everyone = await okta.request<Json>('POST', '/Groups', {
        displayName: 'Everyone',
        members: [{ value: user.body.id }, { value: other.body.id }],
      });
      await s.mappings.create(
        okta.orgId,
        { connectionId: okta.connectionId, group: group.body.id as string, role: 'Admin' },
        CLI_ACTOR,
      );
      await s.mappings.create(
        okta.orgId,
        { connectionId: okta.connectionId, group: everyone.body.id as string },
        CLI_ACTOR,
      );

      const signIn = async (userId: string) => {
        const { token } = await s.sessions.start({
          orgId: okta.orgId,
          userId,
          connectionId: okta.connectionId,
          protocol: 'oidc',
        });
        return `ib_session=${token}`;
      };
      const ivyCookie = await signIn(user.body.id as string);
      const ivy = adminClient(server.url, { cookie: ivyCookie });
      const me = await ivy.request<Json>('GET', '/session');
      expect(me.body).toMatchObject({
        role: 'Admin',
        via: 'console',
        actor: { type: 'user', label: 'ivy@example.com' },
      });
      const ivyConsole = adminClient(server.url, { cookie: ivyCookie, csrfToken: me.body.csrfToken as string });
      expect((await ivyConsole.request('POST', '/teams', { name: 'ivy-team' })).status).toBe(201);
      expect((await ivyConsole.request('GET', '/policy')).status).toBe(403);

      const max = adminClient(server.url, { cookie: await signIn(other.body.id as string) });
      const refused = await max.request<Json>('GET', '/session');
      expect(refused.status).toBe(403);
      expect(refused.body.code).toBe('auth.role');

      const removed = await okta.request('PATCH', `/Groups/${group.body.id as string}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: 'remove', path: `members[value eq "${user.body.id as string}"]` }],
      });
      expect(removed.status).toBe(204);
      expect((await ivy.request('GET', '/session')).status).toBe(403);
    });
  });
});
