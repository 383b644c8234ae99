/** The SCIM surface's HTTP conduct: routing as IdPs spell paths, HEAD, headers, ids in paths, errors as SCIM bodies. */
import { newConnection, type ScimClient } from '../support/scim-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

type Json = Record<string, unknown>;
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

describe('SCIM HTTP conduct', () => {
  let server: TestServer;
  let scim: ScimClient;
  let userId: string;

  beforeAll(async () => {
    server = await startTestServer();
    scim = await newConnection(server.running.services, server.url, 'okta');
    const res = await scim.request<Json>('POST', '/Users', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: 'dana@example.com',
    });
    userId = res.body.id as string;
  });

  afterAll(async () => {
    await server.close();
  });

  it('routes paths case-insensitively and with a trailing slash', async () => {
    const lower = await scim.request<Json>('GET', `/users/${userId}/`);
    expect([lower.status, lower.body.userName]).toEqual([200, 'dana@example.com']);
    const list = await fetch(
      `${server.url}/SCIM/V2/Users?filter=${encodeURIComponent('userName eq "dana@example.com"')}`,
      {
        headers: { authorization: `Bearer ${scim.token}` },
      },
    );
    expect(list.status).toBe(200);
    expect(((await list.json()) as Json).totalResults).toBe(1);
  });

  it('answers HEAD on a resource like GET, with its ETag and no body', async () => {
    const get = await scim.request('GET', `/Users/${userId}`);
    const head = await scim.request('HEAD', `/Users/${userId}`);
    expect(head.status).toBe(200);
    expect(head.headers.get('etag')).toBe(get.headers.get('etag'));
    expect(head.text).toBe('');
  });

  it('sends the request id and the API security headers on every SCIM answer, errors included', async () => {
    for (const path of [`/Users/${userId}`, '/Nowhere']) {
      const res = await scim.request('GET', path, undefined, { 'x-request-id': 'idp-req-42' });
      expect(res.headers.get('x-request-id')).toBe('idp-req-42');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
      expect(res.headers.get('content-type')).toBe('application/scim+json; charset=utf-8');
    }
  });

  it('answers an unknown endpoint or method with a SCIM 404 naming it', async () => {
    const unknown = await scim.request<Json>('GET', '/Devices');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({
      schemas: [ERROR],
      status: '404',
      detail: 'No SCIM endpoint GET /scim/v2/Devices',
    });
    const wrongMethod = await scim.request<Json>('PATCH', '/Users', { schemas: [] });
    expect([wrongMethod.status, wrongMethod.body.detail]).toEqual([404, 'No SCIM endpoint PATCH /scim/v2/Users']);
  });

  it('asks for the token before saying anything about a path', async () => {
    const res = await fetch(`${server.url}/scim/v2/Devices`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm=/);
    expect(await res.json()).toMatchObject({ schemas: [ERROR], status: '401' });
  });

  it('decodes a percent-encoded id and refuses a malformed one with a 400, not a fault', async () => {
    const encoded = await scim.request<Json>('GET', `/Users/${encodeURIComponent(userId)}`);
    expect(encoded.status).toBe(200);
    const malformed = await scim.request<Json>('GET', '/Users/%E0%A4%A');
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ schemas: [ERROR], status: '400' });
  });

  it('answers malformed JSON with 400 invalidSyntax and changes nothing', async () => {
    const res = await scim.request<Json>('PATCH', `/Users/${userId}`, '{"schemas": [');
    expect(res.body).toMatchObject({ schemas: [ERROR], status: '400', scimType: 'invalidSyntax' });
    const after = await scim.request<Json>('GET', `/Users/${userId}`);
    expect(after.body.active).toBe(true);
  });

  it('serves the rest of the service beside SCIM, and a path that only starts like SCIM is not SCIM', async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const other = await fetch(`${server.url}/scim/v2x/Users`);
    expect(other.status).toBe(404);
    expect(await other.json()).toMatchObject({ error: { code: 'route.not_found' } });
  });
});
