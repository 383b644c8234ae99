/** A connection's token reaches only that connection's users and groups: not another connection's, in the same org or another. */
import { newConnection, type ScimClient } from '../support/scim-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

type Json = Record<string, unknown>;
type List = { totalResults: number; Resources: Json[] };
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

describe('SCIM tenancy', () => {
  let server: TestServer;
  let a: ScimClient;
  const victims: Array<{ label: string; client: ScimClient; userId: string; groupId: string }> = [];

  beforeAll(async () => {
    server = await startTestServer();
    a = await newConnection(server.running.services, server.url, 'okta');
    await a.request('POST', '/Users', { userName: 'own@a.example' });
    const sameOrg = await newConnection(server.running.services, server.url, 'entra', a.orgId);
    const otherOrg = await newConnection(server.running.services, server.url, 'okta');
    for (const [label, client] of [
      ['another connection of the same org', sameOrg],
      ['a connection of another org', otherOrg],
    ] as const) {
      const user = await client.request<Json>('POST', '/Users', {
        userName: `victim@${label.length}.example`,
        externalId: 'victim',
      });
      const group = await client.request<Json>('POST', '/Groups', {
        displayName: 'Victims',
        members: [{ value: user.body.id }],
      });
      victims.push({ label, client, userId: user.body.id as string, groupId: group.body.id as string });
    }
  });

  afterAll(async () => {
    await server.close();
  });

  it.each([0, 1])('cannot read, list, filter or search the resources of victim %i', async (i) => {
    const v = victims[i]!;
    expect((await a.request('GET', `/Users/${v.userId}`)).status).toBe(404);
    expect((await a.request('GET', `/Groups/${v.groupId}`)).status).toBe(404);
    const users = await a.request<List>('GET', '/Users?count=1000');
    expect(users.body.Resources.map((r) => r.id)).not.toContain(v.userId);
    expect(users.body.totalResults).toBe(1);
    expect(
      (await a.request<List>('GET', `/Users?filter=${encodeURIComponent('externalId eq "victim"')}`)).body.totalResults,
    ).toBe(0);
    expect(
      (await a.request<List>('GET', `/Groups?filter=${encodeURIComponent('displayName eq "Victims"')}`)).body
        .totalResults,
    ).toBe(0);
    expect(
      (await a.request<List>('GET', `/Groups?filter=${encodeURIComponent(`members.value eq "${v.userId}"`)}`)).body
        .totalResults,
    ).toBe(0);
    expect(
      (await a.request<List>('POST', '/.search', { filter: `id eq "${v.userId}" or id eq "${v.groupId}"` })).body
        .totalResults,
    ).toBe(0);
    expect(
      (await a.request<List>('POST', '/Users/.search', { filter: 'userName co "victim"' })).body.totalResults,
    ).toBe(0);
  });

  it.each([0, 1])('cannot change the resources of victim %i, directly or by Bulk', async (i) => {
    const v = victims[i]!;
    const before = (await v.client.request<Json>('GET', `/Users/${v.userId}`)).body;
    const groupBefore = (await v.client.request<Json>('GET', `/Groups/${v.groupId}`)).body;
    expect((await a.request('PUT', `/Users/${v.userId}`, { userName: 'stolen@a.example' })).status).toBe(404);
    expect(
      (
        await a.request('PATCH', `/Users/${v.userId}`, {
          schemas: [PATCH_OP],
          Operations: [{ op: 'replace', value: { active: false } }],
        })
      ).status,
    ).toBe(404);
    expect((await a.request('DELETE', `/Users/${v.userId}`)).status).toBe(404);
    expect(
      (
        await a.request('PATCH', `/Groups/${v.groupId}`, {
          schemas: [PATCH_OP],
          Operations: [{ op: 'remove', path: 'members' }],
        })
      ).status,
    ).toBe(404);
    expect((await a.request('DELETE', `/Groups/${v.groupId}`)).status).toBe(404);
    const bulk = await a.request<{ Operations: Json[] }>('POST', '/Bulk', {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
      Operations: [
        { method: 'DELETE', path: `/Users/${v.userId}` },
        {
          method: 'PATCH',
          path: `/Groups/${v.groupId}`,
          data: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'displayName', value: 'x' }] },
        },
      ],
    });
    expect(bulk.body.Operations.map((o) => o.status)).toEqual(['404', '404']);
    expect((await v.client.request<Json>('GET', `/Users/${v.userId}`)).body).toEqual(before);
    expect((await v.client.request<Json>('GET', `/Groups/${v.groupId}`)).body).toEqual(groupBefore);
  });

  it.each([0, 1])('cannot add the users of victim %i to its own groups', async (i) => {
    const v = victims[i]!;
    const own = await a.request<Json>('POST', '/Groups', { displayName: `Mine ${i}`, members: [{ value: v.userId }] });
    expect(own.status).toBe(201);
    expect(own.body.members ?? []).toEqual([]);
    const patched = await a.request('PATCH', `/Groups/${own.body.id as string}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'add', path: 'members', value: [{ value: v.userId }] }],
    });
    expect(patched.status).toBe(204);
    expect((await a.request<Json>('GET', `/Groups/${own.body.id as string}`)).body.members ?? []).toEqual([]);
  });

  it('stops accepting a revoked token at once', async () => {
    const c = await newConnection(server.running.services, server.url, 'generic');
    expect((await c.request('GET', '/Users')).status).toBe(200);
    const [token] = await server.running.services.scimTokens.list(c.orgId, c.connectionId);
    await server.running.services.scimTokens.revoke(c.orgId, token!.id, {
      type: 'cli',
      id: null,
      label: null,
      requestId: null,
    });
    expect((await c.request('GET', '/Users')).status).toBe(401);
  });
});
