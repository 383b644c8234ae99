/** The request sequences Okta sends (user lifecycle, import paging, group push), replayed against the real server. */
import { newConnection, type ScimClient } from '../support/scim-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

type Json = Record<string, unknown>;
type List = { totalResults: number; itemsPerPage: number; startIndex: number; Resources: Json[] };

function oktaUser(login: string, extra: Json = {}): Json {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName: login,
    name: { givenName: 'Dana', familyName: 'Scully' },
    emails: [{ primary: true, value: login, type: 'work' }],
    displayName: 'Dana Scully',
    locale: 'en-US',
    externalId: '00u1abcd',
    groups: [],
    password: 'placeholder-not-synced',
    active: true,
    ...extra,
  };
}

describe('Okta provisioning sequences', () => {
  let server: TestServer;
  let okta: ScimClient;

  beforeAll(async () => {
    server = await startTestServer();
    okta = await newConnection(server.running.services, server.url, 'okta');
  });

  afterAll(async () => {
    await server.close();
  });

  it('answers the test-connection probe with an integer-valued ListResponse', async () => {
    const res = await okta.request<List>('GET', '/Users?startIndex=1&count=2');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/scim\+json/);
    expect(res.body).toMatchObject({ totalResults: 0, itemsPerPage: 0, startIndex: 1, Resources: [] });
  });

  it('runs the user lifecycle: lookup, create, read, update by PUT, deactivate, reactivate', async () => {
    const lookup = await okta.request<List>(
      'GET',
      `/Users?filter=${encodeURIComponent('userName eq "dana@example.com"')}&startIndex=1&count=100`,
    );
    expect(lookup.body.totalResults).toBe(0);

    const created = await okta.request<Json>('POST', '/Users', oktaUser('dana@example.com'), {
      'content-type': 'application/json',
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(created.headers.get('location')).toBe(`${server.config.publicUrl}/scim/v2/Users/${id}`);
    expect(created.headers.get('etag')).toBe('W/"1"');
    expect(created.body).toMatchObject({
      userName: 'dana@example.com',
      active: true,
      externalId: '00u1abcd',
      meta: { resourceType: 'User', version: 'W/"1"' },
    });
    expect(created.body).not.toHaveProperty('password');
    expect(created.text).not.toContain('placeholder-not-synced');

    const again = await okta.request<List>(
      'GET',
      `/Users?filter=${encodeURIComponent('userName eq "DANA@example.com"')}&startIndex=1&count=100`,
    );
    expect(again.body.totalResults).toBe(1);
    expect(again.body.Resources[0]!.id).toBe(id);

    const duplicate = await okta.request<Json>('POST', '/Users', oktaUser('Dana@Example.com', { externalId: '00u2' }));
    expect(duplicate.status).toBe(409);
    expect(duplicate.body).toMatchObject({ status: '409', scimType: 'uniqueness' });

    const read = await okta.request<Json>('GET', `/Users/${id}`);
    const updated = await okta.request<Json>('PUT', `/Users/${id}`, {
      ...read.body,
      displayName: 'Agent Scully',
      groups: [],
      password: 'x',
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ id, displayName: 'Agent Scully', meta: { version: 'W/"2"' } });

    const deactivated = await okta.request<Json>('PATCH', `/Users/${id}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', value: { active: false } }],
    });
    expect(deactivated.status).toBe(200);
    expect(deactivated.body.active).toBe(false);
    expect((await okta.request<Json>('GET', `/Users/${id}`)).body.active).toBe(false);

    const reactivated = await okta.request<Json>('PATCH', `/Users/${id}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', value: { active: true } }],
    });
    expect(reactivated.body).toMatchObject({ active: true, displayName: 'Agent Scully', name: { givenName: 'Dana' } });
  });

  it('imports users in stable pages of count=100 with startIndex += 100', async () => {
    const client = await newConnection(server.running.services, server.url, 'okta');
    for (let i = 0; i < 250; i += 50) {
      await Promise.all(
        Array.from({ length: 50 }, (_, j) =>
          client.request('POST', '/Users', oktaUser(`import-${i + j}@example.com`, { externalId: `x${i + j}` })),
        ),
      );
    }
    const seen: string[] = [];
    for (let start = 1; start <= 251; start += 100) {
      const page = await client.request<List>('GET', `/Users?startIndex=${start}&count=100`);
      expect(page.body.totalResults).toBe(250);
      expect(page.body.startIndex).toBe(start);
      seen.push(...page.body.Resources.map((r) => r.id as string));
    }
    expect(seen).toHaveLength(250);
    expect(new Set(seen).size).toBe(250);
    const past = await client.request<List>('GET', '/Users?startIndex=400&count=100');
    expect(past.body).toMatchObject({ totalResults: 250, itemsPerPage: 0, Resources: [] });
  });

  it('pushes a group: lookup, create, add and remove members, full replace, rename, delete', async () => {
    const client = await newConnection(server.running.services, server.url, 'okta');
    const ids: string[] = [];
    for (const n of [1, 2, 3]) {
      ids.push(
        (await client.request<Json>('POST', '/Users', oktaUser(`member${n}@example.com`, { externalId: `m${n}` }))).body
          .id as string,
      );
    }
    const lookup = await client.request<List>(
      'GET',
      `/Groups?filter=${encodeURIComponent('displayName eq "Engineering"')}&startIndex=1&count=100`,
    );
    expect(lookup.body.totalResults).toBe(0);

    const created = await client.request<Json>('POST', '/Groups', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      displayName: 'Engineering',
      members: [],
    });
    expect(created.status).toBe(201);
    const gid = created.body.id as string;

    const patch = (Operations: Json[]): Promise<unknown> =>
      client.request('PATCH', `/Groups/${gid}`, {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations,
      });
    const members = async (): Promise<string[]> =>
      (((await client.request<Json>('GET', `/Groups/${gid}`)).body.members as Json[] | undefined) ?? [])
        .map((m) => m.value as string)
        .sort();

    await patch([
      { op: 'remove', path: `members[value eq "${ids[2]}"]` },
      {
        op: 'add',
        path: 'members',
        value: [
          { value: ids[0], display: 'member1@example.com' },
          { value: ids[1], display: 'member2@example.com' },
        ],
      },
    ]);
    expect(await members()).toEqual([ids[0], ids[1]].sort());

    await patch([{ op: 'add', path: 'members', value: [{ value: ids[0] }] }]);
    expect(await members()).toEqual([ids[0], ids[1]].sort());

    await patch([{ op: 'remove', path: `members[value eq "${ids[0]}"]` }]);
    expect(await members()).toEqual([ids[1]]);

    await patch([{ op: 'replace', path: 'members', value: [{ value: ids[2] }, { value: ids[0] }] }]);
    expect(await members()).toEqual([ids[0], ids[2]].sort());

    const renamed = await client.request<Json>('PATCH', `/Groups/${gid}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', value: { id: gid, displayName: 'Engineering (all)' } }],
    });
    expect(renamed.status).toBe(204);
    const after = await client.request<Json>('GET', `/Groups/${gid}?excludedAttributes=members`);
    expect(after.body).toMatchObject({ displayName: 'Engineering (all)' });
    expect(after.body).not.toHaveProperty('members');
    expect(await members()).toEqual([ids[0], ids[2]].sort());

    const user = await client.request<Json>('GET', `/Users/${ids[0]}`);
    expect(user.body.groups).toEqual([expect.objectContaining({ value: gid, display: 'Engineering (all)' })]);

    const put = await client.request<Json>('PUT', `/Groups/${gid}`, {
      displayName: 'Engineering (all)',
      members: [{ value: ids[1] }],
    });
    expect(put.status).toBe(200);
    expect(await members()).toEqual([ids[1]]);

    expect((await client.request('DELETE', `/Groups/${gid}`)).status).toBe(204);
    expect((await client.request<Json>('GET', `/Groups/${gid}`)).status).toBe(404);
    expect((await client.request<Json>('GET', `/Users/${ids[1]}`)).body).not.toHaveProperty('groups');
  });
});
