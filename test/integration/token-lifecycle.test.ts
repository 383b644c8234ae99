/**
 * Admin and decision-API tokens: distinct prefixes, optional expiry, last-used time, and
 * list and revoke in the CLI and the admin API. A revoked or expired token is refused at
 * once on the instance that revoked it.
 */
import { CLI_ACTOR } from '../../src/domain/actor.js';
import { adminClient } from '../support/admin-client.js';
import { cli } from '../support/run-cli.js';
import { newConnection, type ScimClient } from '../support/scim-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

type Json = Record<string, unknown>;

describe('the lifecycle of admin and API tokens', () => {
  let server: TestServer;
  let scim: ScimClient;
  let env: Record<string, string>;

  async function decide(token: string): Promise<number> {
    const res = await fetch(`${server.url}/v1/access/check`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'worker@tokens.example', scope: 'ci:read' }),
    });
    return res.status;
  }

  beforeAll(async () => {
    server = await startTestServer();
    scim = await newConnection(server.running.services, server.url, 'okta');
    await scim.request('POST', '/Users', { userName: 'worker@tokens.example' });
    env = { DATABASE_URL: server.database.url };
  });

  afterAll(async () => {
    await server.close();
  });

  it('issues, lists and revokes API and admin tokens from the CLI, with expiry and last use', async () => {
    const api = await cli(
      env,
      'api-token',
      'issue',
      '--org',
      scim.orgId,
      '--description',
      'ci-runner',
      '--expires-in',
      '90d',
      '--json',
    );
    expect(api.code).toBe(0);
    const issued = api.json<{ id: string; token: string; expiresAt: string }>();
    expect(issued.token).toMatch(/^ibapi_[0-9a-f]{12}_/);
    const days = (Date.parse(issued.expiresAt) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(89.9);
    expect(days).toBeLessThan(90.1);

    const admin = await cli(env, 'admin-token', 'issue', '--org', scim.orgId, '--role', 'Owner', '--json');
    expect(admin.json<{ token: string }>().token).toMatch(/^ibadm_/);

    expect(await decide(issued.token)).toBe(200);
    const listed = await cli(env, 'api-token', 'list', '--org', scim.orgId, '--json');
    const rows = listed.json<Array<Json>>();
    expect(rows).toEqual([
      expect.objectContaining({
        id: issued.id,
        kind: 'api',
        description: 'ci-runner',
        expiresAt: issued.expiresAt,
        revokedAt: null,
      }),
    ]);
    expect(rows[0]!.lastUsedAt).toEqual(expect.any(String));
    expect(JSON.stringify(rows)).not.toContain(issued.token);
    const admins = (await cli(env, 'admin-token', 'list', '--org', scim.orgId, '--json')).json<Array<Json>>();
    expect(admins.map((t) => t.kind)).toEqual(['admin']);

    // An admin token's id is not an API token's: each command revokes only its own kind.
    expect((await cli(env, 'api-token', 'revoke', admin.json<{ id: string }>().id)).code).toBe(2);
    const revoked = await cli(env, 'api-token', 'revoke', issued.id, '--json');
    expect(revoked.json()).toMatchObject({ id: issued.id, revokedAt: expect.any(String) });
    // Revoked through another process: this instance refuses it within its cache's 5 seconds.
    let status = await decide(issued.token);
    for (let i = 0; i < 60 && status !== 401; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = await decide(issued.token);
    }
    expect(status).toBe(401);

    const bad = await cli(env, 'api-token', 'issue', '--org', scim.orgId, '--expires-in', 'forever');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/30m, 12h, 90d or 52w/);
  });

  it('refuses a token revoked through the admin API at once, and an expired one as soon as it expires', async () => {
    const s = server.running.services;
    const owner = adminClient(server.url, {
      token: (await s.adminTokens.issue(scim.orgId, CLI_ACTOR, { role: 'Owner' })).token,
    });
    const created = await owner.request<{ id: string; token: string; expiresAt: string | null }>(
      'POST',
      '/api-tokens',
      {
        description: 'builder',
        expiresIn: '12h',
      },
    );
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^ibapi_/);
    expect(await decide(created.body.token)).toBe(200);
    const listed = await owner.request<{ items: Json[] }>('GET', '/api-tokens');
    expect(listed.body.items.find((t) => t.id === created.body.id)).toMatchObject({
      description: 'builder',
      kind: 'api',
    });
    const revoked = await owner.request<Json>('DELETE', `/api-tokens/${created.body.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).toEqual(expect.any(String));
    expect(await decide(created.body.token)).toBe(401);
    expect((await owner.request('DELETE', '/api-tokens/00000000-0000-0000-0000-000000000000')).status).toBe(404);
    expect((await owner.request<Json>('POST', '/api-tokens', { expiresIn: '10y' })).status).toBe(400);

    const admin = await owner.request<{ id: string; token: string }>('POST', '/admin-tokens', {
      role: 'Admin',
      expiresIn: '30d',
    });
    expect(admin.body.token).toMatch(/^ibadm_/);
    const asAdmin = adminClient(server.url, { token: admin.body.token });
    expect((await asAdmin.request('GET', '/api-tokens')).status).toBe(200);
    expect((await asAdmin.request('GET', '/admin-tokens')).status).toBe(403);
    expect((await owner.request('DELETE', `/admin-tokens/${admin.body.id}`)).status).toBe(200);
    expect((await asAdmin.request('GET', '/api-tokens')).status).toBe(401);

    // Expiry: refused once it has passed, even though this instance verified it a moment ago.
    const soon = await s.adminTokens.issueApi(scim.orgId, CLI_ACTOR, {
      expiresAt: new Date(Date.now() + 1500).toISOString(),
    });
    expect(await decide(soon.token)).toBe(200);
    await new Promise((r) => setTimeout(r, 1600));
    expect(await decide(soon.token)).toBe(401);
    const audit = await server.running.store.repos.audit.list(scim.orgId, { action: 'api_token.revoked', limit: 10 });
    expect(audit.length).toBeGreaterThanOrEqual(1);
  });

  it('gives SCIM tokens an optional expiry too', async () => {
    const s = server.running.services;
    const soon = await s.scimTokens.issue(
      scim.orgId,
      scim.connectionId,
      CLI_ACTOR,
      'short',
      new Date(Date.now() + 1500).toISOString(),
    );
    const get = () => fetch(`${server.url}/scim/v2/Users`, { headers: { authorization: `Bearer ${soon.token}` } });
    expect((await get()).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1600));
    expect((await get()).status).toBe(401);
    const issued = await cli(
      env,
      'scim-token',
      'issue',
      '--connection',
      scim.connectionId,
      '--expires-in',
      '52w',
      '--json',
    );
    expect(issued.json<{ expiresAt: string }>().expiresAt).toEqual(expect.any(String));
  });
});
