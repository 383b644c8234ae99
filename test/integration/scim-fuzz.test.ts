/** Generated filters and PATCH bodies against the real server: never a 500, and a refused request changes nothing. */
import fc from 'fast-check';
import { newConnection, type ScimClient } from '../support/scim-client.js';
import { filterText, patchBody } from '../support/scim-arbitraries.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

type Json = Record<string, unknown>;

describe('SCIM under generated input', () => {
  let server: TestServer;
  let scim: ScimClient;
  let userId: string;
  let groupId: string;

  beforeAll(async () => {
    server = await startTestServer();
    scim = await newConnection(server.running.services, server.url, 'generic');
    userId = (
      await scim.request<Json>('POST', '/Users', {
        userName: 'fuzz@example.com',
        title: 'Target',
        emails: [{ value: 'fuzz@example.com', type: 'work', primary: true }],
      })
    ).body.id as string;
    const member = (await scim.request<Json>('POST', '/Users', { userName: 'member@example.com' })).body.id as string;
    groupId = (await scim.request<Json>('POST', '/Groups', { displayName: 'Fuzz', members: [{ value: member }] })).body
      .id as string;
  });

  afterAll(async () => {
    await server.close();
  });

  it('answers every generated filter with 200 or 400 invalidFilter', async () => {
    await fc.assert(
      fc.asyncProperty(filterText, fc.constantFrom('Users', 'Groups'), async (filter, resource) => {
        const res = await scim.request<Json>('GET', `/${resource}?filter=${encodeURIComponent(filter)}`);
        expect([200, 400]).toContain(res.status);
        if (res.status === 400) expect(res.body.scimType).toBe('invalidFilter');
      }),
      { numRuns: 150 },
    );
  });

  it('answers every generated user PATCH without a 500, and leaves the user unchanged when refusing', async () => {
    await fc.assert(
      fc.asyncProperty(patchBody, async (body) => {
        const before = await scim.request<Json>('GET', `/Users/${userId}`);
        const res = await scim.request<Json>('PATCH', `/Users/${userId}`, body);
        expect([200, 400, 409]).toContain(res.status);
        if (res.status !== 200) {
          expect(res.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'] });
          expect((await scim.request<Json>('GET', `/Users/${userId}`)).body).toEqual(before.body);
        }
      }),
      { numRuns: 120 },
    );
  });

  it('answers every generated group PATCH without a 500, and leaves the group unchanged when refusing', async () => {
    await fc.assert(
      fc.asyncProperty(patchBody, async (body) => {
        const before = await scim.request<Json>('GET', `/Groups/${groupId}`);
        const res = await scim.request<Json>('PATCH', `/Groups/${groupId}`, body);
        expect([204, 400]).toContain(res.status);
        if (res.status === 400) {
          expect((await scim.request<Json>('GET', `/Groups/${groupId}`)).body).toEqual(before.body);
        }
      }),
      { numRuns: 120 },
    );
  });
});
