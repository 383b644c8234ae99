/** While PostgreSQL is unreachable, SCIM answers 503 with Retry-After and a SCIM body (never 404, never HTML), and recovers by itself. */
import pg from 'pg';
import { CLI_ACTOR } from '../../../src/domain/actor.js';
import type { RunningServer } from '../../../src/server.js';
import { newConnection, type ScimClient } from '../../support/scim-client.js';
import { startServerBehindProxy, type ServerBehindProxy } from '../../support/server-behind-proxy.js';
import type { TcpProxy } from '../../support/tcp-proxy.js';
import type { TestDatabase } from '../../support/test-database.js';

describe('SCIM during a database outage', () => {
  let server: ServerBehindProxy;
  let logged: string[];
  let database: TestDatabase;
  let proxy: TcpProxy;
  let running: RunningServer;
  let scim: ScimClient;
  let adminToken: string;

  beforeAll(async () => {
    server = await startServerBehindProxy();
    ({ logged, database, proxy, running } = server);
    scim = await newConnection(running.services, running.url, 'okta');
    adminToken = (await running.services.adminTokens.issue(scim.orgId, CLI_ACTOR, { role: 'Owner' })).token;
  });

  afterAll(async () => {
    await server.close();
  });

  it('answers 503 with Retry-After while the database is gone and serves again when it is back', async () => {
    expect((await scim.request('GET', '/Users')).status).toBe(200);
    await proxy.cut();
    const refusedIds: string[] = [];
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
      refusedIds.push(res.headers.get('x-request-id')!);
    }
    // An expected refusal is one line at warn, saying why; not a fault logged at error.
    for (const id of refusedIds) {
      const lines = logged.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.reqId === id);
      expect(lines).toEqual([
        expect.objectContaining({
          level: 'warn',
          msg: 'request completed',
          res: { statusCode: 503 },
          refused: expect.objectContaining({ message: 'SCIM request failed', reason: expect.any(String) }),
        }),
      ]);
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

  it('answers a write 503 with Retry-After while the database is read-only (a replica, or a leader still in recovery), and logs it once at warn', async () => {
    const name = new URL(database.url).pathname.slice(1);
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    const reconnectAll = (): Promise<unknown> =>
      admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
        [name],
      );
    try {
      await admin.query(`ALTER DATABASE ${pg.escapeIdentifier(name)} SET default_transaction_read_only = on`);
      await reconnectAll();
      const linesOf = (id: string | null): Array<Record<string, unknown>> =>
        logged.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.reqId === id);
      const refusalCode = (id: string | null): unknown =>
        (linesOf(id)[0]?.refused as { code?: string } | undefined)?.code;
      // The first request after the connections were cut may meet a dead one (also a 503):
      // ask again until one reaches a read-only session.
      let res = await scim.request<Record<string, unknown>>('POST', '/Users', { userName: 'readonly@example.com' });
      for (let i = 0; i < 5 && refusalCode(res.headers.get('x-request-id')) !== '25006'; i++) {
        res = await scim.request('POST', '/Users', { userName: 'readonly@example.com' });
      }
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(res.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '503' });
      expect(linesOf(res.headers.get('x-request-id'))).toEqual([
        expect.objectContaining({ level: 'warn', refused: expect.objectContaining({ code: '25006' }) }),
      ]);
      // Reads still answer.
      expect((await scim.request('GET', '/Users')).status).toBe(200);
    } finally {
      await admin.query(`ALTER DATABASE ${pg.escapeIdentifier(name)} RESET default_transaction_read_only`);
      await reconnectAll();
      await admin.end();
    }
    let status = 0;
    for (let attempt = 0; attempt < 20 && status !== 201; attempt++) {
      status = (await scim.request('POST', '/Users', { userName: 'writable@example.com' })).status;
      if (status !== 201) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(201);
  }, 30_000);
});
