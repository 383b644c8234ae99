/** While PostgreSQL is unreachable, SCIM answers 503 with Retry-After and a SCIM body (never 404, never HTML), and recovers by itself. */
import { CLI_ACTOR } from '../../../src/domain/actor.js';
import { loadConfig } from '../../../src/config/config.js';
import { startServer, type RunningServer } from '../../../src/server.js';
import { createLogger } from '../../../src/telemetry/logger.js';
import { newConnection, type ScimClient } from '../../support/scim-client.js';
import { startTcpProxy, type TcpProxy } from '../../support/tcp-proxy.js';
import { createTestDatabase, type TestDatabase } from '../../support/test-database.js';

describe('SCIM during a database outage', () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let running: RunningServer;
  let scim: ScimClient;
  let adminToken: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    const direct = new URL(database.url);
    proxy = await startTcpProxy(direct.hostname, Number(direct.port || 5432));
    const viaProxy = new URL(database.url);
    viaProxy.port = String(proxy.port);
    const config = loadConfig({
      DATABASE_URL: viaProxy.toString(),
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      SESSION_SECRET: 'test-session-secret-that-is-long-enough-0123456789',
    });
    running = await startServer(config, createLogger('silent'));
    scim = await newConnection(running.services, running.url, 'okta');
    adminToken = (await running.services.adminTokens.issue(scim.orgId, CLI_ACTOR, { role: 'Owner' })).token;
  });

  afterAll(async () => {
    await running.close();
    await proxy.close();
    await database.drop();
  });

  it('answers 503 with Retry-After while the database is gone and serves again when it is back', async () => {
    expect((await scim.request('GET', '/Users')).status).toBe(200);
    await proxy.cut();
    for (const [method, path, body] of [
      ['GET', '/Users', undefined],
      ['POST', '/Users', { userName: 'lost@example.com' }],
      ['GET', '/Users/00000000-0000-0000-0000-000000000000', undefined],
    ] as const) {
      const res = await scim.request<Record<string, unknown>>(method, path, body);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(res.headers.get('content-type')).toMatch(/^application\/scim\+json/);
      expect(res.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '503' });
    }
    expect((await fetch(`${running.url}/readyz`)).status).toBe(503);
    // The decision API and the admin API say the same, in their own error formats.
    const decision = await fetch(`${running.url}/v1/access/check`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'someone@example.com', scope: 'ci:read' }),
    });
    expect(decision.status).toBe(503);
    expect(decision.headers.get('retry-after')).toMatch(/^\d+$/);
    const admin = await fetch(`${running.url}/admin/api/v1/teams`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(admin.status).toBe(503);
    expect(admin.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(admin.headers.get('retry-after')).toMatch(/^\d+$/);

    await proxy.restore();
    let status = 0;
    for (let attempt = 0; attempt < 20 && status !== 200; attempt++) {
      status = (await scim.request('GET', '/Users')).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
    const created = await scim.request('POST', '/Users', { userName: 'after@example.com' });
    expect(created.status).toBe(201);
    const list = await scim.request<{ Resources: Array<{ userName: string }> }>('GET', '/Users');
    expect(list.body.Resources.map((r) => r.userName)).toEqual(['after@example.com']);
  }, 30_000);
});
