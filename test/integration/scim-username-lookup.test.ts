/** The `userName eq` lookup IdPs make before each create answers exactly as the general filter does. */
import { newConnection, type ScimClient } from '../support/scim-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

type List = {
  totalResults: number;
  itemsPerPage: number;
  startIndex: number;
  Resources: Array<Record<string, unknown>>;
};

describe('userName lookups', () => {
  let server: TestServer;
  let scim: ScimClient;
  let other: ScimClient;

  beforeAll(async () => {
    server = await startTestServer();
    scim = await newConnection(server.running.services, server.url, 'okta');
    other = await newConnection(server.running.services, server.url, 'entra', scim.orgId);
    const created = await scim.request<Record<string, unknown>>('POST', '/Users', {
      userName: 'Fox.Mulder@Example.com',
      emails: [{ value: 'fox@example.com', type: 'work', primary: true }],
    });
    await scim.request('POST', '/Groups', { displayName: 'X-Files', members: [{ value: created.body.id }] });
    await other.request('POST', '/Users', { userName: 'walter"skinner@example.com' });
  });

  afterAll(async () => {
    await server.close();
  });

  const cases = [
    'startIndex=1&count=100',
    'startIndex=1&count=0',
    'startIndex=2&count=10',
    'count=1',
    'excludedAttributes=groups',
    'attributes=userName',
  ];

  it.each(cases)('matches the general filter path for %s', async (query) => {
    for (const name of ['fox.mulder@example.com', 'FOX.MULDER@EXAMPLE.COM', 'nobody@example.com']) {
      const fast = await scim.request<List>(
        'GET',
        `/Users?filter=${encodeURIComponent(`userName eq "${name}"`)}&${query}`,
      );
      // Parentheses take the general filter translation.
      const general = await scim.request<List>(
        'GET',
        `/Users?filter=${encodeURIComponent(`(userName eq "${name}")`)}&${query}`,
      );
      expect(fast.status).toBe(200);
      expect(fast.body).toEqual(general.body);
    }
  });

  it('finds the user with groups, case-insensitively, and only in the caller’s connection', async () => {
    const found = await scim.request<List>(
      'GET',
      `/Users?filter=${encodeURIComponent('USERNAME Eq "fox.MULDER@example.com"')}`,
    );
    expect(found.body.totalResults).toBe(1);
    expect(found.body.Resources[0]).toMatchObject({
      userName: 'Fox.Mulder@Example.com',
      groups: [expect.objectContaining({ display: 'X-Files' })],
    });
    // Escapes take the general filter path.
    const escaped = encodeURIComponent('userName eq "walter\\"skinner@example.com"');
    expect((await scim.request<List>('GET', `/Users?filter=${escaped}`)).body.totalResults).toBe(0);
    expect((await other.request<List>('GET', `/Users?filter=${escaped}`)).body.totalResults).toBe(1);
  });

  it('lists a user’s groups by displayName, case-insensitively, on the lookup, the user and a page', async () => {
    const user = await scim.request<Record<string, unknown>>('POST', '/Users', { userName: 'dana.scully@example.com' });
    for (const displayName of ['zeta', 'Alpha', 'beta', 'Gamma']) {
      await scim.request('POST', '/Groups', { displayName, members: [{ value: user.body.id }] });
    }
    const expected = ['Alpha', 'beta', 'Gamma', 'zeta'];
    const names = (u: Record<string, unknown> | undefined): string[] =>
      ((u?.groups ?? []) as Array<{ display: string }>).map((g) => g.display);
    const filter = encodeURIComponent('userName eq "dana.scully@example.com"');
    const lookup = await scim.request<List>('GET', `/Users?filter=${filter}`);
    expect(names(lookup.body.Resources[0])).toEqual(expected);
    const one = await scim.request<Record<string, unknown>>('GET', `/Users/${String(user.body.id)}`);
    expect(names(one.body)).toEqual(expected);
    const page = await scim.request<List>('GET', '/Users?startIndex=1&count=100');
    expect(names(page.body.Resources.find((r) => r.id === user.body.id))).toEqual(expected);
  });

  it('answers GET /Users/{id} with the resource the lookup gives, and only in the caller’s connection', async () => {
    const filter = encodeURIComponent('userName eq "fox.mulder@example.com"');
    const lookup = (await scim.request<List>('GET', `/Users?filter=${filter}`)).body.Resources[0]!;
    const id = String(lookup.id);
    const one = await scim.request<Record<string, unknown>>('GET', `/Users/${id}`);
    expect(one.status).toBe(200);
    expect(one.body).toEqual(lookup);
    expect(one.body.groups).toEqual([expect.objectContaining({ display: 'X-Files' })]);
    for (const query of ['excludedAttributes=groups', 'attributes=userName']) {
      const projected = await scim.request<Record<string, unknown>>('GET', `/Users/${id}?${query}`);
      const listed = await scim.request<List>('GET', `/Users?filter=${filter}&${query}`);
      expect(projected.body).toEqual(listed.body.Resources[0]);
    }
    const etag = one.headers.get('etag')!;
    expect((await scim.request('GET', `/Users/${id}`, undefined, { 'If-None-Match': etag })).status).toBe(304);
    const elsewhere = await other.request<Record<string, unknown>>('GET', `/Users/${id}`);
    expect(elsewhere.status).toBe(404);
    expect(elsewhere.body.schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:Error']);
  });
});
