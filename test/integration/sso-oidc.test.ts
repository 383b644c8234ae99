/**
 * OpenID Connect sign-in against a real OpenID Provider (oidc-provider, its own process):
 * a good login gives a session whose /auth/me shows role, teams and scopes from the
 * user's groups; forged state, a replayed callback, a login finished by another browser,
 * an unknown or deactivated user get no session; SCIM deactivation ends a live session.
 */
import { randomBytes } from 'node:crypto';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { CLI_ACTOR } from '../../src/domain/actor.js';
import { TestBrowser } from '../support/browser.js';
import {
  startOidcForger,
  startOpenIdProvider,
  type TestOidcForger,
  type TestOpenIdProvider,
} from '../support/oidc-provider.js';
import { newConnection, type ScimClient } from '../support/scim-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

interface Me {
  user: { id: string; userName: string; email: string | null };
  role: string;
  teams: string[];
  scopes: string[];
  groups: string[];
}

describe('OpenID Connect sign-in', () => {
  let server: TestServer;
  let op: TestOpenIdProvider;
  let okta: ScimClient;
  let dana: string;
  const clientSecret = randomBytes(16).toString('hex');

  const loginUrl = (): string => `${server.url}/sso/${okta.connectionId}/oidc/login?returnTo=/welcome`;
  const serviceHost = (): string => new URL(server.url).host;

  async function signIn(browser: TestBrowser): Promise<{ status: number; location: string | null }> {
    const callback = await browser.follow(loginUrl(), (next) => next.pathname.endsWith('/oidc/callback'));
    const res = await browser.request(callback.url);
    return { status: res.status, location: res.headers.get('location') };
  }

  async function me(browser: TestBrowser): Promise<{ status: number; body: Me }> {
    const res = await browser.request(`${server.url}/auth/me`);
    return { status: res.status, body: (await res.json()) as Me };
  }

  beforeAll(async () => {
    // The test's OpenID Provider listens on loopback, which only an operator setting lets the service reach.
    server = await startTestServer({ OUTBOUND_ALLOWED_NETWORKS: '127.0.0.1' });
    const s = server.running.services;
    okta = await newConnection(s, server.url, 'okta');
    op = await startOpenIdProvider(
      'identity-bridge',
      clientSecret,
      `${server.url}/sso/${okta.connectionId}/oidc/callback`,
    );
    await s.ssoSettings.configureOidc(
      okta.orgId,
      okta.connectionId,
      { issuer: op.issuer, clientId: 'identity-bridge', clientSecret },
      CLI_ACTOR,
    );
    await s.connections.addDomain(okta.orgId, okta.connectionId, 'example.com', CLI_ACTOR);

    dana = (await okta.request('POST', '/Users', { userName: 'dana@example.com' })).body.id as string;
    const group = (await okta.request('POST', '/Groups', { displayName: 'CI Writers', members: [{ value: dana }] }))
      .body.id as string;
    await s.teams.create(okta.orgId, { name: 'read-write-ci', scopes: ['ci:read-update'] }, CLI_ACTOR);
    await s.mappings.create(
      okta.orgId,
      { connectionId: okta.connectionId, group, role: 'Admin', teams: ['read-write-ci'] },
      CLI_ACTOR,
    );
  });

  afterAll(async () => {
    await op?.stop();
    await server?.close();
  });

  it('signs a provisioned user in and shows their role, teams, scopes and groups at /auth/me', async () => {
    await op.nextAccount('okta-sub-dana', { email: 'Dana@Example.com', email_verified: true, name: 'Dana' });
    const browser = new TestBrowser();
    expect((await me(browser)).status).toBe(401);
    const done = await signIn(browser);
    expect(done).toEqual({ status: 302, location: '/welcome' });
    const session = await me(browser);
    expect(session.status).toBe(200);
    expect(session.body).toMatchObject({
      user: { id: dana, userName: 'dana@example.com' },
      role: 'Admin',
      teams: ['read-write-ci'],
      scopes: ['ci:read-update'],
      groups: ['CI Writers'],
    });
    const cookie = browser.cookie(serviceHost(), 'ib_session')!;
    const stored = await server.running.store.db('sessions').select('id_hash');
    expect(stored.map((r: { id_hash: string }) => r.id_hash)).not.toContain(cookie);

    expect((await browser.request(`${server.url}/auth/logout`, { method: 'POST' })).status).toBe(204);
    expect((await me(browser)).status).toBe(401);
  });

  it('refuses a callback whose state was never issued, a replayed callback and one from another browser', async () => {
    await op.nextAccount('okta-sub-dana', { email: 'dana@example.com', email_verified: true });
    const browser = new TestBrowser();
    const callback = await browser.follow(loginUrl(), (next) => next.pathname.endsWith('/oidc/callback'));

    const forged = new URL(callback.url);
    forged.searchParams.set('state', 'forged-state');
    expect((await browser.request(forged.href)).status).toBe(403);

    const thief = new TestBrowser();
    expect((await thief.request(callback.url)).status).toBe(403); // no binding cookie: not the browser that started
    expect((await me(thief)).status).toBe(401);

    // The request was consumed by the attempts above: even the right browser cannot use it now.
    expect((await browser.request(callback.url)).status).toBe(403);
    expect((await me(browser)).status).toBe(401);

    const fresh = new TestBrowser();
    expect((await signIn(fresh)).status).toBe(302);
    const again = await browser.follow(loginUrl(), (next) => next.pathname.endsWith('/oidc/callback'));
    expect((await browser.request(again.url)).status).toBe(302);
    // Replaying the same callback (code and state) gives nothing.
    const replayer = new TestBrowser();
    replayer.setCookie(serviceHost(), 'ib_oidc', 'whatever');
    expect((await replayer.request(again.url)).status).toBe(403);
  });

  it('refuses an identity no provisioned user matches, and writes why to the audit log', async () => {
    await op.nextAccount('okta-sub-stranger', { email: 'stranger@example.com', email_verified: true });
    const browser = new TestBrowser();
    expect((await signIn(browser)).status).toBe(403);
    expect((await me(browser)).status).toBe(401);
    const refused = await server.running.store.repos.audit.list(okta.orgId, {
      action: 'sso.refused',
      limit: 10,
    });
    expect(refused[0]?.data).toMatchObject({ protocol: 'oidc', reason: expect.stringMatching(/no provisioned user/) });
  });

  it('does not trust an unverified email to pick the user', async () => {
    await op.nextAccount('okta-sub-x', { email: 'dana@example.com', email_verified: false });
    expect((await signIn(new TestBrowser())).status).toBe(403);
  });

  it('ends a live session when SCIM deactivates the user, and refuses them at sign-in', async () => {
    await op.nextAccount('okta-sub-dana', { email: 'dana@example.com', email_verified: true });
    const browser = new TestBrowser();
    expect((await signIn(browser)).status).toBe(302);
    expect((await me(browser)).status).toBe(200);
    const deactivated = await okta.request('PATCH', `/Users/${dana}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', path: 'active', value: false }],
    });
    expect(deactivated.status).toBe(200);
    expect((await me(browser)).status).toBe(401);
    expect((await signIn(new TestBrowser())).status).toBe(403);
    await okta.request('PATCH', `/Users/${dana}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', path: 'active', value: true }],
    });
  });

  it('mints access tokens verifiable with the JWKS, which the decision API stops honouring when the user is deactivated', async () => {
    await op.nextAccount('okta-sub-dana', { email: 'dana@example.com', email_verified: true });
    const browser = new TestBrowser();
    expect((await signIn(browser)).status).toBe(302);
    const minted = await browser.request(`${server.url}/auth/token`, { method: 'POST' });
    expect(minted.status).toBe(200);
    const { access_token: token, expires_in: expiresIn } = (await minted.json()) as {
      access_token: string;
      expires_in: number;
    };
    expect(expiresIn).toBeLessThanOrEqual(300);
    const jwks = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), {
      issuer: server.config.publicUrl,
    });
    expect(protectedHeader.alg).toBe('ES256');
    expect(payload).toMatchObject({
      sub: dana,
      org: okta.orgId,
      role: 'Admin',
      teams: ['read-write-ci'],
      scopes: ['ci:read-update'],
      jti: expect.any(String),
    });
    expect(JSON.stringify(jwks)).not.toMatch(/"d":/); // public halves only

    const apiToken = (await server.running.services.adminTokens.issue(okta.orgId, CLI_ACTOR, { role: 'User' })).token;
    const check = async (body: Record<string, unknown>) =>
      (await (
        await fetch(`${server.url}/v1/access/check`, {
          method: 'POST',
          headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        })
      ).json()) as { allowed: boolean; reason: string };
    expect(await check({ token, scope: 'ci:read-update' })).toMatchObject({ allowed: true });
    const tampered = `${token.slice(0, -4)}${token.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
    expect(await check({ token: tampered, scope: 'ci:read' })).toMatchObject({ allowed: false });
    await okta.request('PATCH', `/Users/${dana}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', path: 'active', value: false }],
    });
    expect(await check({ token, scope: 'ci:read-update' })).toMatchObject({
      allowed: false,
      reason: expect.stringMatching(/deactivated/),
    });
    expect((await browser.request(`${server.url}/auth/token`, { method: 'POST' })).status).toBe(401);
    await okta.request('PATCH', `/Users/${dana}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', path: 'active', value: true }],
    });
  });

  it("sends an employee from /login to their org's identity provider by email domain", async () => {
    const form = await fetch(`${server.url}/login`);
    expect(form.status).toBe(200);
    expect(await form.text()).toContain('name="email"');
    const known = await fetch(`${server.url}/login?email=${encodeURIComponent('Dana@Example.com')}&returnTo=/x`, {
      redirect: 'manual',
    });
    expect(known.status).toBe(302);
    expect(known.headers.get('location')).toBe(`/sso/${okta.connectionId}/oidc/login?returnTo=%2Fx`);
    const unknown = await fetch(`${server.url}/login?email=${encodeURIComponent('eve@<b>elsewhere.test')}`);
    const page = await unknown.text();
    expect(page).toContain('No single sign-on is set up');
    expect(page).not.toContain('<b>');
    const offsite = await fetch(`${server.url}/login?email=dana@example.com&returnTo=//evil.test`, {
      redirect: 'manual',
    });
    expect(offsite.headers.get('location')).toBe(`/sso/${okta.connectionId}/oidc/login?returnTo=%2F`);
  });

  it('refuses an http issuer that is not on a loopback address', async () => {
    const s = server.running.services;
    await expect(
      s.ssoSettings.configureOidc(
        okta.orgId,
        okta.connectionId,
        { issuer: 'http://idp.example.com', clientId: 'c', clientSecret: 's' },
        CLI_ACTOR,
      ),
    ).rejects.toMatchObject({ code: 'sso.insecure_issuer' });
  });

  describe('with an IdP that forges ID tokens', () => {
    let forger: TestOidcForger;
    let entra: ScimClient;

    beforeAll(async () => {
      const s = server.running.services;
      entra = await newConnection(s, server.url, 'entra', okta.orgId);
      forger = await startOidcForger('forged-client', `${server.url}/sso/${entra.connectionId}/oidc/callback`);
      await s.ssoSettings.configureOidc(
        okta.orgId,
        entra.connectionId,
        { issuer: forger.issuer, clientId: 'forged-client', clientSecret: 'forged-secret' },
        CLI_ACTOR,
      );
      await entra.request('POST', '/Users', { userName: 'walter@example.com', externalId: 'walter-sub' });
    });

    afterAll(async () => {
      await forger?.stop();
    });

    const signInThroughForger = async (): Promise<number> => {
      const browser = new TestBrowser();
      const callback = await browser.follow(`${server.url}/sso/${entra.connectionId}/oidc/login`, (next) =>
        next.pathname.endsWith('/oidc/callback'),
      );
      const status = (await browser.request(callback.url)).status;
      expect((await me(browser)).status).toBe(status === 302 ? 200 : 401);
      return status;
    };

    it('accepts its well-formed token (the forger itself is sound)', async () => {
      await forger.forge('good', 'walter-sub', { preferred_username: 'walter@example.com' });
      expect(await signInThroughForger()).toBe(302);
    });

    it.each(['other-key', 'wrong-aud', 'wrong-iss', 'expired', 'alg-none', 'wrong-nonce'] as const)(
      'refuses an ID token with %s, and starts no session',
      async (mode) => {
        await forger.forge(mode, 'walter-sub', { preferred_username: 'walter@example.com' });
        expect(await signInThroughForger()).toBe(403);
      },
    );
  });
});
