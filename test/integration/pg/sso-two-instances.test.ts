/**
 * Two instances behind one public URL, on one PostgreSQL database: a sign-in started on
 * instance A completes on instance B, and the session it makes is honoured by both.
 */
import net from 'node:net';
import { CLI_ACTOR } from '../../../src/domain/actor.js';
import { loadConfig } from '../../../src/config/config.js';
import { startServer, type RunningServer } from '../../../src/server.js';
import { createLogger } from '../../../src/telemetry/logger.js';
import { TestBrowser } from '../../support/browser.js';
import { authnRequestId, createKeyPair, encode, responseXml } from '../../support/saml-idp.js';
import { startOpenIdProvider, type TestOpenIdProvider } from '../../support/oidc-provider.js';
import { newConnection } from '../../support/scim-client.js';
import { startTestServer, type TestServer } from '../../support/test-server.js';

async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('sign-in across two instances', () => {
  let a: TestServer;
  let b: RunningServer;
  let op: TestOpenIdProvider;

  beforeAll(async () => {
    // The test's OpenID Provider listens on loopback, which only an operator setting lets the service reach.
    a = await startTestServer({
      SESSION_SECRET: 'shared-session-secret-of-the-whole-fleet-0123456789',
      OUTBOUND_ALLOWED_NETWORKS: '127.0.0.1',
    });
    // B answers on its own port but names the same public URL, as behind a load balancer.
    const config = loadConfig({
      DATABASE_URL: a.database.url,
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      PUBLIC_URL: a.config.publicUrl,
      LOG_LEVEL: 'silent',
      SESSION_SECRET: 'shared-session-secret-of-the-whole-fleet-0123456789',
      OUTBOUND_ALLOWED_NETWORKS: '127.0.0.1',
    });
    b = await startServer(config, createLogger(config.logLevel));
  });

  afterAll(async () => {
    await op?.stop();
    await b?.close();
    await a?.close();
  });

  it('completes on B a login started on A, and both honour the session', async () => {
    const s = a.running.services;
    const okta = await newConnection(s, a.url, 'okta');
    op = await startOpenIdProvider(
      'fleet',
      'fleet-secret',
      `${a.config.publicUrl}/sso/${okta.connectionId}/oidc/callback`,
    );
    await s.ssoSettings.configureOidc(
      okta.orgId,
      okta.connectionId,
      { issuer: op.issuer, clientId: 'fleet', clientSecret: 'fleet-secret' },
      CLI_ACTOR,
    );
    await okta.request('POST', '/Users', { userName: 'mulder@example.com' });
    await op.nextAccount('sub-mulder', { preferred_username: 'mulder@example.com' });

    const browser = new TestBrowser();
    const callback = await browser.follow(`${a.url}/sso/${okta.connectionId}/oidc/login`, (next) =>
      next.pathname.endsWith('/oidc/callback'),
    );
    // The load balancer sends the callback to B; the browser's cookies travel with it.
    const onB = new URL(callback.url);
    onB.host = new URL(b.url).host;
    browser.setCookie(onB.host, 'ib_oidc', browser.cookie(new URL(a.url).host, 'ib_oidc')!);
    const finished = await browser.request(onB.href);
    expect(finished.status).toBe(302);
    const session = browser.cookie(onB.host, 'ib_session')!;
    expect(session).toBeDefined();

    for (const url of [a.url, b.url]) {
      const me = await fetch(`${url}/auth/me`, { headers: { cookie: `ib_session=${session}` } });
      expect(me.status).toBe(200);
      expect(((await me.json()) as { user: { userName: string } }).user.userName).toBe('mulder@example.com');
    }
  });

  it('completes on B a SAML login started on A (the request-id cache is in the database)', async () => {
    const s = a.running.services;
    const keys = createKeyPair('fleet-idp');
    const okta = await newConnection(s, a.url, 'okta');
    await s.ssoSettings.configureSaml(
      okta.orgId,
      okta.connectionId,
      { idpEntityId: 'http://idp.fleet.test', idpSsoUrl: 'http://127.0.0.1:9/sso', idpCerts: [keys.cert] },
      CLI_ACTOR,
    );
    await okta.request('POST', '/Users', { userName: 'scully@example.com' });
    const started = await fetch(`${a.url}/sso/${okta.connectionId}/saml/login`, { redirect: 'manual' });
    const requestId = authnRequestId(started.headers.get('location')!);
    const acsUrl = `${a.config.publicUrl}/sso/${okta.connectionId}/saml/acs`;
    const response = responseXml({
      acsUrl,
      audience: `${a.config.publicUrl}/sso/${okta.connectionId}/saml/metadata`,
      idpEntityId: 'http://idp.fleet.test',
      inResponseTo: requestId,
      nameId: 'scully@example.com',
      sign: 'both',
      keys,
    });
    const onB = await fetch(`${b.url}/sso/${okta.connectionId}/saml/acs`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ SAMLResponse: encode(response), RelayState: '/' }).toString(),
    });
    expect(onB.status).toBe(302);
    const cookie = onB.headers
      .getSetCookie()
      .find((c) => c.startsWith('ib_session='))!
      .split(';')[0]!;
    expect((await fetch(`${a.url}/auth/me`, { headers: { cookie } })).status).toBe(200);
  });
});
