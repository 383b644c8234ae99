/**
 * SAML sign-in with really signed responses: Okta-, Entra- and Google-shaped logins give a
 * session; every hostile or broken response gives none (and is audited).
 */
import { inflateRawSync } from 'node:zlib';
import { CLI_ACTOR } from '../../src/domain/actor.js';
import { TestBrowser } from '../support/browser.js';
import {
  assertionXml,
  authnRequestId,
  createKeyPair,
  encode,
  responseXml,
  sign,
  type KeyPair,
  type ResponseOptions,
} from '../support/saml-idp.js';
import { newConnection, type ScimClient } from '../support/scim-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

interface Me {
  user: { userName: string };
  role: string;
  teams: string[];
  scopes: string[];
}

/** What the sign-in helpers need of a connection. */
type Conn = { readonly connectionId: string };

const IDP = 'http://idp.example.test/metadata';
const SSO_URL = 'http://127.0.0.1:9/sso';

describe('SAML sign-in', () => {
  let server: TestServer;
  let keys: KeyPair;
  let attacker: KeyPair;
  const connections: Record<'okta' | 'entra' | 'google', ScimClient> = {} as never;

  const acs = (c: Conn) => `${server.url}/sso/${c.connectionId}/saml/acs`;
  const audience = (c: Conn) => `${server.url}/sso/${c.connectionId}/saml/metadata`;

  /** Starts a login on the service; returns the browser and the AuthnRequest id it sent. */
  async function startLogin(c: Conn, returnTo = '/home'): Promise<{ browser: TestBrowser; requestId: string }> {
    const browser = new TestBrowser();
    const res = await browser.request(
      `${server.url}/sso/${c.connectionId}/saml/login?returnTo=${encodeURIComponent(returnTo)}`,
    );
    expect(res.status).toBe(302);
    const location = res.headers.get('location')!;
    expect(location.startsWith(SSO_URL)).toBe(true);
    expect(new URL(location).searchParams.get('RelayState')).toBe(returnTo);
    return { browser, requestId: authnRequestId(location) };
  }

  async function post(
    browser: TestBrowser,
    c: Conn,
    samlResponse: string,
    relayState = '/home',
  ): Promise<{ status: number; location: string | null; signedIn: boolean }> {
    const res = await browser.request(acs(c), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ SAMLResponse: samlResponse, RelayState: relayState }).toString(),
    });
    const me = await browser.request(`${server.url}/auth/me`);
    return { status: res.status, location: res.headers.get('location'), signedIn: me.status === 200 };
  }

  function options(c: Conn, requestId: string | undefined, over: Partial<ResponseOptions> = {}): ResponseOptions {
    return {
      acsUrl: acs(c),
      audience: audience(c),
      idpEntityId: IDP,
      inResponseTo: requestId,
      nameId: 'dana@example.com',
      sign: 'both',
      keys,
      ...over,
    };
  }

  beforeAll(async () => {
    keys = createKeyPair('idp');
    attacker = createKeyPair('attacker');
    server = await startTestServer();
    const s = server.running.services;
    const okta = await newConnection(s, server.url, 'okta');
    connections.okta = okta;
    connections.entra = await newConnection(s, server.url, 'entra', okta.orgId);
    connections.google = await newConnection(s, server.url, 'google', okta.orgId);
    for (const c of Object.values(connections)) {
      const endpoints = await s.ssoSettings.configureSaml(
        okta.orgId,
        c.connectionId,
        { idpEntityId: IDP, idpSsoUrl: SSO_URL, idpCerts: [keys.cert] },
        CLI_ACTOR,
      );
      expect(endpoints.acsUrl).toBe(acs(c));
    }
    await s.connections.addDomain(okta.orgId, connections.google.connectionId, 'example.com', CLI_ACTOR);
    const dana = (await okta.request('POST', '/Users', { userName: 'dana@example.com' })).body.id as string;
    const group = (await okta.request('POST', '/Groups', { displayName: 'Readers', members: [{ value: dana }] })).body
      .id as string;
    await s.teams.create(okta.orgId, { name: 'readers', scopes: ['source:read'] }, CLI_ACTOR);
    await s.mappings.create(okta.orgId, { connectionId: okta.connectionId, group, teams: ['readers'] }, CLI_ACTOR);
  });

  afterAll(async () => {
    await server?.close();
  });

  it('signs in an Okta-shaped response (response and assertion signed) and lands on the RelayState path', async () => {
    const { browser, requestId } = await startLogin(connections.okta);
    const result = await post(browser, connections.okta, encode(responseXml(options(connections.okta, requestId))));
    expect(result).toEqual({ status: 302, location: '/home', signedIn: true });
    const me = (await (await browser.request(`${server.url}/auth/me`)).json()) as Me;
    expect(me).toMatchObject({ user: { userName: 'dana@example.com' }, teams: ['readers'], scopes: ['source:read'] });
  });

  it('signs in an Entra-shaped response: only the assertion signed, claim-URI attributes', async () => {
    const c = connections.entra;
    const { browser, requestId } = await startLogin(c);
    const xml = responseXml(
      options(c, requestId, {
        sign: 'assertion',
        attributes: {
          'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress': ['dana@example.com'],
          'http://schemas.microsoft.com/identity/claims/displayname': ['Dana'],
        },
      }),
    );
    expect(await post(browser, c, encode(xml))).toMatchObject({ status: 302, signedIn: true });
  });

  it('signs in a Google-shaped response by its verified-domain email attribute', async () => {
    const c = connections.google;
    const { browser, requestId } = await startLogin(c);
    const xml = responseXml(
      options(c, requestId, { nameId: 'g-1234', sign: 'assertion', attributes: { email: ['Dana@Example.com'] } }),
    );
    expect(await post(browser, c, encode(xml))).toMatchObject({ status: 302, signedIn: true });
  });

  it('gives a new session at each sign-in and ends the one the browser had', async () => {
    const first = await startLogin(connections.okta);
    await post(first.browser, connections.okta, encode(responseXml(options(connections.okta, first.requestId))));
    const host = new URL(server.url).host;
    const before = first.browser.cookie(host, 'ib_session')!;
    const again = await first.browser.request(
      `${server.url}/sso/${connections.okta.connectionId}/saml/login?returnTo=/again`,
    );
    const requestId = authnRequestId(again.headers.get('location')!);
    await post(first.browser, connections.okta, encode(responseXml(options(connections.okta, requestId))));
    const after = first.browser.cookie(host, 'ib_session')!;
    expect(after).not.toBe(before);
    const old = await fetch(`${server.url}/auth/me`, { headers: { cookie: `ib_session=${before}` } });
    expect(old.status).toBe(401);
  });

  it('accepts IdP-initiated sign-in only where the connection allows it, and still refuses its replay', async () => {
    const s = server.running.services;
    const c = await s.connections.create(connections.okta.orgId, { kind: 'generic', name: 'IdP-initiated' }, CLI_ACTOR);
    await s.ssoSettings.configureSaml(
      connections.okta.orgId,
      c.id,
      { idpEntityId: IDP, idpSsoUrl: SSO_URL, idpCerts: [keys.cert], allowIdpInitiated: true },
      CLI_ACTOR,
    );
    const conn = { connectionId: c.id };
    const unsolicited = encode(responseXml(options(conn, undefined)));
    expect(await post(new TestBrowser(), conn, unsolicited)).toMatchObject({ status: 302, signedIn: true });
    expect(await post(new TestBrowser(), conn, unsolicited)).toMatchObject({ status: 403, signedIn: false });
  });

  it('sends a SAML session to the IdP for single logout when the connection has a logout URL', async () => {
    const s = server.running.services;
    const c = await s.connections.create(connections.okta.orgId, { kind: 'okta', name: 'With SLO' }, CLI_ACTOR);
    await s.ssoSettings.configureSaml(
      connections.okta.orgId,
      c.id,
      { idpEntityId: IDP, idpSsoUrl: SSO_URL, idpCerts: [keys.cert], idpLogoutUrl: 'http://127.0.0.1:9/slo' },
      CLI_ACTOR,
    );
    const conn = { connectionId: c.id };
    const { browser, requestId } = await startLogin(conn);
    expect((await post(browser, conn, encode(responseXml(options(conn, requestId))))).signedIn).toBe(true);
    const out = await browser.request(`${server.url}/auth/logout`, { method: 'POST' });
    expect(out.status).toBe(200);
    const { logoutUrl } = (await out.json()) as { logoutUrl: string };
    expect(logoutUrl.startsWith('http://127.0.0.1:9/slo?SAMLRequest=')).toBe(true);
    const request = inflateRawSync(
      Buffer.from(new URL(logoutUrl).searchParams.get('SAMLRequest')!, 'base64'),
    ).toString();
    expect(request).toContain('LogoutRequest');
    expect(request).toContain('dana@example.com');
    expect(request).toMatch(/SessionIndex[^>]*>_session_/);
    expect(request).toContain('nameid-format:emailAddress');
    expect((await browser.request(`${server.url}/auth/me`)).status).toBe(401);
    // A session of a connection without a logout URL just ends.
    const plain = await startLogin(connections.okta);
    await post(plain.browser, connections.okta, encode(responseXml(options(connections.okta, plain.requestId))));
    expect((await plain.browser.request(`${server.url}/auth/logout`, { method: 'POST' })).status).toBe(204);
  });

  it('serves SP metadata with the ACS URL and entityID', async () => {
    const res = await fetch(`${server.url}/sso/${connections.okta.connectionId}/saml/metadata`);
    const xml = await res.text();
    expect(res.status).toBe(200);
    expect(xml).toContain(`entityID="${audience(connections.okta)}"`);
    expect(xml).toContain(`Location="${acs(connections.okta)}"`);
  });

  describe('refuses, with no session', () => {
    // Entra's setting (only the assertion must be signed): the assertion's signature alone must hold.
    const okta = () => connections.entra;
    const cases: Array<[string, (requestId: string) => string, RegExp]> = [
      ['an unsigned response', (id) => encode(responseXml(options(okta(), id, { sign: 'none' }))), /signature/i],
      [
        'a response signed by another key',
        (id) => encode(responseXml(options(okta(), id, { keys: attacker }))),
        /signature/i,
      ],
      [
        'a signed response around an unsigned assertion',
        (id) => encode(responseXml(options(okta(), id, { sign: 'response' }))),
        /signature/i,
      ],
      [
        'a value changed after signing',
        (id) => encode(responseXml(options(okta(), id)).replace('dana@example.com', 'fox@example.com')),
        /signature/i,
      ],
      [
        'an expired assertion',
        (id) =>
          encode(
            responseXml(
              options(okta(), id, {
                notBefore: new Date(Date.now() - 3_600_000),
                notOnOrAfter: new Date(Date.now() - 1_800_000),
              }),
            ),
          ),
        /subject confirmation|expired|NotOnOrAfter/i,
      ],
      [
        'an assertion not yet valid',
        (id) => encode(responseXml(options(okta(), id, { notBefore: new Date(Date.now() + 1_800_000) }))),
        /not yet valid|NotBefore/i,
      ],
      [
        'a wrong audience',
        (id) => encode(responseXml(options(okta(), id, { audience: 'https://other.example/sp' }))),
        /audience/i,
      ],
      [
        'a wrong Recipient',
        (id) => encode(responseXml(options(okta(), id, { recipient: 'https://other.example/acs' }))),
        /Recipient/,
      ],
      [
        'a wrong Destination',
        (id) => encode(responseXml(options(okta(), id, { destination: 'https://other.example/acs' }))),
        /Destination/,
      ],
      [
        'a wrong assertion Issuer',
        (id) => encode(responseXml(options(okta(), id, { assertionIssuer: 'http://evil.example/idp' }))),
        /Issuer/,
      ],
      [
        'an InResponseTo this service never sent',
        () => encode(responseXml(options(okta(), '_never_sent'))),
        /InResponseTo/i,
      ],
      [
        'an unsolicited response (IdP-initiated login is off)',
        () => encode(responseXml(options(okta(), undefined))),
        /InResponseTo/i,
      ],
      [
        'a DTD with an external entity',
        (id) =>
          encode(
            `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>` +
              responseXml(options(okta(), id)),
          ),
        /DOCTYPE/,
      ],
      [
        'a forged assertion wrapped beside the signed one',
        (id) => {
          const signed = responseXml(options(okta(), id, { sign: 'assertion', nameId: 'nobody@example.com' }));
          const forged = assertionXml(options(okta(), id, { nameId: 'dana@example.com' }), '_forged');
          return encode(signed.replace('<samlp:Status>', `${forged}<samlp:Status>`));
        },
        /signature|assertion/i,
      ],
      [
        'a signed assertion hidden inside a forged one',
        (id) => {
          const realId = '_real';
          const real = sign(assertionXml(options(okta(), id, { nameId: 'nobody@example.com' }), realId), realId, keys);
          const forged = assertionXml(options(okta(), id, { nameId: 'dana@example.com' }), realId).replace(
            '</saml:Subject>',
            `</saml:Subject><saml:Advice>${real}</saml:Advice>`,
          );
          return encode(responseXml(options(okta(), id, { sign: 'none' }), forged));
        },
        /signature/i,
      ],
    ];

    it.each(cases)('%s', async (_name, build, reason) => {
      const { browser, requestId } = await startLogin(okta());
      const result = await post(browser, okta(), build(requestId));
      expect(result.status).toBe(403);
      expect(result.signedIn).toBe(false);
      const [latest] = await server.running.store.repos.audit.list(okta().orgId, {
        action: 'sso.refused',
        limit: 1,
      });
      expect((latest?.data as { reason: string }).reason).toMatch(reason);
    });

    it('a replay of an accepted response', async () => {
      const { browser, requestId } = await startLogin(okta());
      const response = encode(responseXml(options(okta(), requestId)));
      expect((await post(browser, okta(), response)).signedIn).toBe(true);
      const replayer = new TestBrowser();
      expect(await post(replayer, okta(), response)).toMatchObject({ status: 403, signedIn: false });
    });

    it('a RelayState pointing off this service (the login lands on / instead)', async () => {
      const { browser, requestId } = await startLogin(okta());
      const response = encode(responseXml(options(okta(), requestId)));
      expect(await post(browser, okta(), response, 'https://evil.example/steal')).toMatchObject({
        status: 302,
        location: '/',
      });
    });

    it('a NameID with a comment inside is never read as the name before the comment', async () => {
      const { browser, requestId } = await startLogin(okta());
      const xml = responseXml(options(okta(), requestId, { nameIdXml: 'dana@example.com<!---->.evil.test' }));
      const result = await post(browser, okta(), encode(xml));
      expect(result.signedIn).toBe(false);
      const [latest] = await server.running.store.repos.audit.list(okta().orgId, {
        action: 'sso.refused',
        limit: 1,
      });
      expect(latest?.data).toMatchObject({ userName: 'dana@example.com.evil.test' });
    });

    it('and writes each refusal with its reason to the audit log', async () => {
      const refused = await server.running.store.repos.audit.list(connections.okta.orgId, {
        action: 'sso.refused',
        limit: 100,
      });
      expect(refused.length).toBeGreaterThanOrEqual(cases.length);
      expect(refused.every((e) => typeof (e.data as { reason?: unknown }).reason === 'string')).toBe(true);
      expect(JSON.stringify(refused)).not.toContain('SAMLResponse');
    });
  });

  describe('just-in-time provisioning', () => {
    let google: { orgId: string; connectionId: string };

    beforeAll(async () => {
      const s = server.running.services;
      const orgId = connections.okta.orgId;
      // A Google Workspace connection without SCIM: sign-ins create users and carry their groups.
      const created = await s.connections.create(orgId, { kind: 'google', name: 'Google JIT' }, CLI_ACTOR);
      google = { orgId, connectionId: created.id };
      await s.ssoSettings.configureSaml(
        orgId,
        created.id,
        { idpEntityId: IDP, idpSsoUrl: SSO_URL, idpCerts: [keys.cert], jit: true },
        CLI_ACTOR,
      );
      await s.connections.addDomain(orgId, created.id, 'newco.example', CLI_ACTOR);
      await s.teams.create(orgId, { name: 'lab-team', scopes: ['ci:read'] }, CLI_ACTOR);
      await s.mappings.create(
        orgId,
        { connectionId: created.id, group: 'Lab', matchBy: 'display_name', teams: ['lab-team'] },
        CLI_ACTOR,
      );
      await s.mappings.create(
        orgId,
        { connectionId: created.id, group: 'Everyone', matchBy: 'display_name' },
        CLI_ACTOR,
      );
    });

    async function jitLogin(groups: Record<string, string[]>): Promise<Me & { groups: string[] }> {
      const c = google;
      const { browser, requestId } = await startLogin(c);
      const xml = responseXml(
        options(c, requestId, {
          nameId: 'g-new-hire',
          sign: 'assertion',
          attributes: { email: ['new.hire@newco.example'], ...groups },
        }),
      );
      expect(await post(browser, c, encode(xml))).toMatchObject({ status: 302, signedIn: true });
      return (await (await browser.request(`${server.url}/auth/me`)).json()) as Me & { groups: string[] };
    }

    it('creates the user at first sign-in with the memberships the groups attribute names', async () => {
      const me = await jitLogin({ groups: ['Lab', 'Everyone'] });
      expect(me.user.userName).toBe('new.hire@newco.example');
      expect([...me.groups].sort()).toEqual(['Everyone', 'Lab']);
      expect(me.teams).toEqual(['lab-team']);
      expect(me.scopes).toEqual(['ci:read']);
    });

    it('refuses, and audits, an identity whose values break the directory limits, creating no one', async () => {
      const c = google;
      const { browser, requestId } = await startLogin(c);
      const longName = `${'x'.repeat(600)}@newco.example`;
      const xml = responseXml(
        options(c, requestId, { nameId: 'g-long-name', sign: 'assertion', attributes: { email: [longName] } }),
      );
      expect(await post(browser, c, encode(xml))).toMatchObject({ status: 403, signedIn: false });
      expect(
        await server.running.store.repos.users.findByExternalId(c.orgId, c.connectionId, 'g-long-name'),
      ).toBeUndefined();
      const [refusal] = await server.running.store.repos.audit.list(c.orgId, { action: 'sso.refused', limit: 1 });
      expect((refusal?.data as { reason?: string }).reason).toMatch(
        /cannot be provisioned: userName is longer than 512 characters/,
      );
    });

    it('follows the groups attribute at the next sign-in, and treats an overage link as unknown', async () => {
      const fewer = await jitLogin({ groups: ['Everyone'] });
      expect(fewer.groups).toEqual(['Everyone']);
      expect(fewer.teams).toEqual([]);
      const overage = await jitLogin({
        'http://schemas.microsoft.com/claims/groups.link': [
          'https://graph.microsoft.com/v1.0/users/x/getMemberObjects',
        ],
      });
      expect(overage.groups).toEqual(['Everyone']);
      const noClaim = await jitLogin({});
      expect(noClaim.groups).toEqual(['Everyone']);
    });

    it('never adds a group or team from a claim when SCIM is active for the connection', async () => {
      const s = server.running.services;
      const c = connections.okta; // has a live SCIM token
      await s.ssoSettings.configureSaml(
        c.orgId,
        c.connectionId,
        { idpEntityId: IDP, idpSsoUrl: SSO_URL, idpCerts: [keys.cert], jit: true },
        CLI_ACTOR,
      );
      await s.teams.create(c.orgId, { name: 'admins-team', scopes: ['targets:delete'] }, CLI_ACTOR);
      await s.mappings.create(
        c.orgId,
        { connectionId: c.connectionId, group: 'Admins', matchBy: 'display_name', teams: ['admins-team'] },
        CLI_ACTOR,
      );
      const { browser, requestId } = await startLogin(c);
      const xml = responseXml(options(c, requestId, { attributes: { groups: ['Admins'] } }));
      expect(await post(browser, c, encode(xml))).toMatchObject({ status: 302, signedIn: true });
      const me = (await (await browser.request(`${server.url}/auth/me`)).json()) as Me & { groups: string[] };
      expect(me.teams).not.toContain('admins-team');
      expect(me.groups).not.toContain('Admins');
      expect(
        await server.running.store.repos.groups.findByDisplayName(c.orgId, c.connectionId, 'Admins'),
      ).toBeUndefined();
    });
  });
});
