/**
 * Generated filters and bodies against the real server: never a 500, and a refused request
 * changes nothing. Each property sends a few hundred real HTTP requests, so each test has
 * its own timeout, sized for a busy 2-core machine.
 */
import fc from 'fast-check';
import { newConnection, type ScimClient } from '../support/scim-client.js';
import { filterText, manyTermFilter, nestedValue, patchBody } from '../support/scim-arbitraries.js';
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
  }, 180_000);

  it('answers many-term and deeply nested filters with 200, or 400 invalidFilter past the bounds', async () => {
    await fc.assert(
      fc.asyncProperty(manyTermFilter, fc.constantFrom('Users', 'Groups'), async (filter, resource) => {
        const res = await scim.request<Json>('GET', `/${resource}?filter=${encodeURIComponent(filter)}&count=5`);
        expect([200, 400]).toContain(res.status);
        if (res.status === 400) expect(res.body.scimType).toBe('invalidFilter');
      }),
      { numRuns: 100 },
    );
  }, 180_000);

  it('answers bodies nested at any depth with a success or 400, never 500, and changes nothing when refusing', async () => {
    await fc.assert(
      fc.asyncProperty(nestedValue, fc.nat(3), async ({ text }, where) => {
        const before = await scim.request<Json>('GET', `/Users/${userId}`);
        const body = [
          `{"userName":"nested-${Math.random().toString(36).slice(2)}@example.com","x":${text}}`,
          `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"title","value":${text}}]}`,
          `{"displayName":"Nested ${Math.random().toString(36).slice(2)}","members":[${text}]}`,
          `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":${text}}]}`,
        ][where]!;
        const [method, path] = (
          [
            ['POST', '/Users'],
            ['PATCH', `/Users/${userId}`],
            ['POST', '/Groups'],
            ['PATCH', `/Users/${userId}`],
          ] as const
        )[where]!;
        const res = await scim.request<Json>(method, path, body);
        expect(res.status).toBeLessThan(500);
        if (res.status >= 400) {
          expect(res.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'] });
          expect((await scim.request<Json>('GET', `/Users/${userId}`)).body).toEqual(before.body);
        }
      }),
      { numRuns: 100 },
    );
  }, 180_000);

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
  }, 180_000);

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
  }, 180_000);
});
