/**
 * Every JSON surface bounds what it parses: a body nested past the bound is a client error
 * (400; SCIM `invalidSyntax`), never a 500, and changes nothing; deep-but-legal bodies pass.
 */
import { CLI_ACTOR } from '../../src/domain/actor.js';
import { MAX_JSON_DEPTH } from '../../src/http/bounded-json.js';
import { adminClient } from '../support/admin-client.js';
import { newConnection, type ScimClient } from '../support/scim-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

type Json = Record<string, unknown>;
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** `{"a":{"a":...}}` nested `levels` deep, as text (JSON.stringify itself would overflow on the deepest). */
function nested(levels: number, leaf = '1'): string {
  return `${'{"a":'.repeat(levels)}${leaf}${'}'.repeat(levels)}`;
}

describe('JSON bodies past the nesting bound', () => {
  let server: TestServer;
  let scim: ScimClient;
  let userId: string;
  let groupId: string;

  beforeAll(async () => {
    server = await startTestServer();
    scim = await newConnection(server.running.services, server.url, 'okta');
    userId = (await scim.request<Json>('POST', '/Users', { userName: 'deep@example.com' })).body.id as string;
    groupId = (await scim.request<Json>('POST', '/Groups', { displayName: 'Deep' })).body.id as string;
  });

  afterAll(async () => {
    await server.close();
  });

  const deepUser = (levels: number): string =>
    `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"x@example.com","title":${nested(levels, '"t"')}}`;

  it.each([
    ['POST', '/Users', () => deepUser(7000)],
    ['PUT', '/Users/USER', () => deepUser(4000)],
    ['PATCH', '/Users/USER', () => `{"schemas":["${PATCH_OP}"],"Operations":[{"op":"add","value":${nested(4000)}}]}`],
    ['POST', '/Groups', () => `{"displayName":"g","members":[${nested(5000)}]}`],
    [
      'POST',
      '/Bulk',
      () => `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[${nested(3000)}]}`,
    ],
    ['POST', '/Users/.search', () => `{"filter":${nested(100, '"userName pr"')}}`],
  ])('answers %s %s with 400 invalidSyntax and changes nothing', async (method, path, body) => {
    const before = await scim.request<Json>('GET', `/Users/${userId}`);
    const res = await scim.request<Json>(method, path.replace('USER', userId), body());
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      scimType: 'invalidSyntax',
      detail: expect.stringContaining(`${MAX_JSON_DEPTH} levels`),
    });
    expect((await scim.request<Json>('GET', `/Users/${userId}`)).body).toEqual(before.body);
    expect((await scim.request<Json>('GET', '/Users?filter=userName eq "x@example.com"')).body.totalResults).toBe(0);
    const connection = await server.running.store.repos.connections.get(scim.orgId, scim.connectionId);
    expect(JSON.parse(connection!.lastScimError!)).toMatchObject({ status: 400 });
  });

  it('accepts a body nested within the bound', async () => {
    const res = await scim.request<Json>('PATCH', `/Groups/${groupId}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', value: { displayName: 'Still fine' } }],
    });
    expect(res.status).toBe(204);
    const within = await scim.request<Json>(
      'POST',
      '/Users',
      `{"userName":"within@example.com","x":${nested(MAX_JSON_DEPTH - 2)}}`,
    );
    expect(within.status).not.toBe(500);
    expect([201, 400]).toContain(within.status);
  });

  it('answers the admin API and the decision API with 400 for a body nested too deeply', async () => {
    const services = server.running.services;
    const admin = (await services.adminTokens.issue(scim.orgId, CLI_ACTOR, { role: 'Owner' })).token;
    const res = await adminClient(server.url, { token: admin }).request<Json>('POST', '/teams', nested(5000));
    expect(res.status).toBe(400);
    expect(res.contentType).toContain('application/problem+json');
    expect(res.body).toMatchObject({ code: 'request.too_deep' });

    const api = (await services.adminTokens.issue(scim.orgId, CLI_ACTOR, { role: 'User' })).token;
    const decision = await fetch(`${server.url}/v1/access/check`, {
      method: 'POST',
      headers: { authorization: `Bearer ${api}`, 'content-type': 'application/json' },
      body: `{"user":"deep@example.com","scope":"ci:read","x":${nested(5000)}}`,
    });
    expect(decision.status).toBe(400);
    expect(((await decision.json()) as { error: Json }).error).toMatchObject({ code: 'request.too_deep' });
  });
});
