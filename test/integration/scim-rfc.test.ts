/** RFC 7643/7644 behaviour of the SCIM surface, one pinned behaviour per test. */
import { newConnection, type ScimClient } from '../support/scim-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

type Json = Record<string, unknown>;
type List = { totalResults: number; itemsPerPage: number; startIndex?: number; Resources: Json[]; nextCursor?: string };
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const q = encodeURIComponent;

describe('SCIM RFC behaviour', () => {
  let server: TestServer;
  let scim: ScimClient;
  const ids: Record<string, string> = {};

  async function user(userName: string, extra: Json = {}): Promise<string> {
    const res = await scim.request<Json>('POST', '/Users', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName,
      ...extra,
    });
    if (res.status !== 201) throw new Error(`create ${userName}: ${res.text}`);
    return res.body.id as string;
  }

  async function find(filter: string, resource = 'Users'): Promise<string[]> {
    const res = await scim.request<List>('GET', `/${resource}?filter=${q(filter)}&count=1000`);
    if (res.status !== 200) throw new Error(`${filter}: ${res.text}`);
    return res.body.Resources.map((r) => r.id as string).sort();
  }

  const idsOf = (...names: string[]): string[] => names.map((n) => ids[n]!).sort();

  beforeAll(async () => {
    server = await startTestServer();
    scim = await newConnection(server.running.services, server.url, 'generic');
    ids.alice = await user('Alice@Example.com', {
      name: { givenName: 'Alice', familyName: 'Archer' },
      title: 'Engineer',
      emails: [
        { value: 'alice@example.com', type: 'work', primary: true },
        { value: 'alice@home.test', type: 'home' },
      ],
      [ENTERPRISE]: { employeeNumber: '100', department: 'R&D', manager: { value: 'boss-1' } },
    });
    ids.bob = await user('bob@example.com', {
      name: { givenName: 'Bob', familyName: 'Baker' },
      emails: [
        { value: 'bob@home.test', type: 'work' },
        { value: 'bob@example.com', type: 'home' },
      ],
      [ENTERPRISE]: { employeeNumber: '200', department: 'Sales' },
    });
    ids.carol = await user('carol_100%@example.org', { active: false, title: 'Director' });
  });

  afterAll(async () => {
    await server.close();
  });

  describe('filters', () => {
    it.each([
      ['userName eq "alice@example.com"', ['alice']],
      ['userName ne "alice@example.com"', ['bob', 'carol']],
      ['userName co "EXAMPLE.COM"', ['alice', 'bob']],
      ['userName sw "CAROL"', ['carol']],
      ['userName ew ".org"', ['carol']],
      ['userName co "_100%"', ['carol']],
      ['userName co "r_1"', []],
      ['title pr', ['alice', 'carol']],
      ['not (title pr)', ['bob']],
      ['title eq "engineer"', ['alice']],
      ['not (title eq "Engineer")', ['bob', 'carol']],
      ['active eq false', ['carol']],
      ['active eq true and name.familyName sw "B"', ['bob']],
      ['name.givenName eq "alice" or name.givenName eq "bob"', ['alice', 'bob']],
      ['not (userName sw "a" or userName sw "b")', ['carol']],
      ['(userName sw "a" or userName sw "b") and not (active eq false)', ['alice', 'bob']],
      ['emails co "@home.test"', ['alice', 'bob']],
      ['emails.value eq "BOB@example.com"', ['bob']],
      ['emails[type eq "work" and value co "@example.com"]', ['alice']],
      ['emails[type eq "work"] and emails.value co "@example.com"', ['alice', 'bob']],
      ['emails[type eq "work"].value co "home"', ['bob']],
      ['emails[not (type eq "work")]', ['alice', 'bob']],
      [`${ENTERPRISE}:employeeNumber gt "150"`, ['bob']],
      [`${ENTERPRISE}:department eq "r&d"`, ['alice']],
      [`${ENTERPRISE}:manager.value eq "boss-1"`, ['alice']],
      ['urn:ietf:params:scim:schemas:core:2.0:User:userName eq "bob@example.com"', ['bob']],
      ['USERNAME Eq "bob@example.com"', ['bob']],
      ['meta.resourceType eq "User"', ['alice', 'bob', 'carol']],
    ])('%s', async (filter, expected) => {
      expect(await find(filter)).toEqual(idsOf(...expected));
    });

    it('compares meta.created and meta.lastModified as times', async () => {
      const alice = (await scim.request<Json>('GET', `/Users/${ids.alice}`)).body.meta as Json;
      expect(await find(`meta.created le "${alice.created as string}"`)).toEqual(idsOf('alice'));
      expect(await find(`meta.created gt "${alice.created as string}"`)).toEqual(idsOf('bob', 'carol'));
      expect(await find('meta.lastModified gt "2000-01-01T00:00:00Z"')).toEqual(idsOf('alice', 'bob', 'carol'));
    });

    it('filters groups by displayName (ignoring case), externalId and members.value', async () => {
      const g = await scim.request<Json>('POST', '/Groups', {
        displayName: 'Readers',
        externalId: 'ext-r',
        members: [{ value: ids.alice }],
      });
      const gid = g.body.id as string;
      expect(await find('displayName eq "READERS"', 'Groups')).toEqual([gid]);
      expect(await find('externalId eq "ext-r"', 'Groups')).toEqual([gid]);
      expect(await find(`members.value eq "${ids.alice}"`, 'Groups')).toEqual([gid]);
      expect(await find(`members eq "${ids.bob}"`, 'Groups')).toEqual([]);
      expect(await find(`groups.value eq "${gid}"`)).toEqual(idsOf('alice'));
      await scim.request('DELETE', `/Groups/${gid}`);
    });

    it.each([
      'nosuch eq "x"',
      'userName eq',
      'userName xx "a"',
      '(userName eq "a"',
      'active co "t"',
      'active eq "maybe"',
      'meta.created gt "yesterday"',
      'emails[type eq "work"',
      'name.nosuch eq "a"',
      `${ENTERPRISE}:nosuch eq "a"`,
      'userName eq null',
    ])('answers 400 invalidFilter for %s', async (filter) => {
      const res = await scim.request<Json>('GET', `/Users?filter=${q(filter)}`);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ status: '400', scimType: 'invalidFilter' });
    });

    it('never lets filter text reach SQL', async () => {
      expect(await find(`userName eq "x' OR '1'='1"`)).toEqual([]);
      expect(await find('userName eq "\\"; DROP TABLE directory_users; --"')).toEqual([]);
      expect((await scim.request<List>('GET', '/Users')).body.totalResults).toBe(3);
    });
  });

  describe('paging and sorting', () => {
    it.each([
      ['startIndex=1&count=2', 2, 1],
      ['startIndex=2&count=2', 2, 2],
      ['startIndex=3&count=2', 1, 3],
      ['startIndex=4&count=2', 0, 4],
      ['startIndex=0&count=2', 2, 1],
      ['startIndex=-5', 3, 1],
      ['count=0', 0, 1],
      ['count=-1', 0, 1],
      ['startIndex=100000000000000000000&count=2', 0, Number.MAX_SAFE_INTEGER],
    ])('%s gives %i resources from startIndex %i, with the full totalResults', async (params, items, start) => {
      const res = await scim.request<List>('GET', `/Users?${params}`);
      expect(res.body).toMatchObject({ totalResults: 3, itemsPerPage: items, startIndex: start });
      expect(res.body.Resources).toHaveLength(items);
    });

    it('pages the same order as the full list', async () => {
      const all = (await scim.request<List>('GET', '/Users')).body.Resources.map((r) => r.id);
      const second = (await scim.request<List>('GET', '/Users?startIndex=2&count=1')).body.Resources.map((r) => r.id);
      expect(second).toEqual([all[1]]);
    });

    it('sorts by userName both ways and by the primary email', async () => {
      const asc = await scim.request<List>('GET', '/Users?sortBy=userName');
      expect(asc.body.Resources.map((r) => r.userName)).toEqual([
        'Alice@Example.com',
        'bob@example.com',
        'carol_100%@example.org',
      ]);
      const desc = await scim.request<List>('GET', '/Users?sortBy=userName&sortOrder=descending&count=1');
      expect(desc.body.Resources.map((r) => r.userName)).toEqual(['carol_100%@example.org']);
      const byEmail = await scim.request<List>('GET', '/Users?sortBy=emails&filter=emails pr');
      expect(byEmail.body.Resources.map((r) => r.id)).toEqual([ids.alice, ids.bob]);
    });

    it('rejects a bad paging value or sort attribute with 400 invalidValue', async () => {
      for (const params of ['count=ten', 'startIndex=1.5', 'sortBy=nosuch', 'sortOrder=sideways']) {
        const res = await scim.request<Json>('GET', `/Users?${params}`);
        expect([res.status, res.body.scimType]).toEqual([400, 'invalidValue']);
      }
    });

    it('walks a list with cursors (RFC 9865) and rejects a forged cursor', async () => {
      const seen: string[] = [];
      let cursor = '';
      for (let pages = 0; pages < 10; pages++) {
        const res = await scim.request<List>('GET', `/Users?count=2&cursor=${q(cursor)}`);
        expect(res.status).toBe(200);
        expect(res.body.totalResults).toBe(3);
        seen.push(...res.body.Resources.map((r) => r.id as string));
        if (!res.body.nextCursor) break;
        cursor = res.body.nextCursor;
      }
      expect(seen.sort()).toEqual(idsOf('alice', 'bob', 'carol'));
      const forged = await scim.request<Json>('GET', '/Users?count=2&cursor=not-a-cursor');
      expect([forged.status, forged.body.scimType]).toEqual([400, 'invalidCursor']);
    });

    it('searches by POST /.search at resource and root level, paginated', async () => {
      const res = await scim.request<List>('POST', '/Users/.search', {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
        filter: 'userName sw "a" or userName sw "b"',
        attributes: ['userName'],
        sortBy: 'userName',
        startIndex: 2,
        count: 1,
      });
      expect(res.body).toMatchObject({ totalResults: 2, itemsPerPage: 1, startIndex: 2 });
      expect(res.body.Resources[0]).toEqual({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
        id: ids.bob,
        userName: 'bob@example.com',
      });
      const g = await scim.request<Json>('POST', '/Groups', { displayName: 'Root search group' });
      const root = await scim.request<List>('POST', '/.search', {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
        startIndex: 3,
        count: 2,
      });
      expect(root.body).toMatchObject({ totalResults: 4, itemsPerPage: 2 });
      expect(root.body.Resources.map((r) => (r.meta as Json).resourceType)).toEqual(['User', 'Group']);
      const onlyGroups = await scim.request<List>('POST', '/.search', { filter: 'displayName sw "root"' });
      expect(onlyGroups.body.Resources.map((r) => r.id)).toEqual([g.body.id]);
      await scim.request('DELETE', `/Groups/${g.body.id as string}`);
    });
  });

  describe('attributes and excludedAttributes', () => {
    it('returns only the asked attributes plus id and schemas', async () => {
      const res = await scim.request<Json>(
        'GET',
        `/Users/${ids.alice}?attributes=userName,name.givenName,${ENTERPRISE}:department,emails.value`,
      );
      expect(res.body).toEqual({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
        id: ids.alice,
        userName: 'Alice@Example.com',
        name: { givenName: 'Alice' },
        emails: [{ value: 'alice@example.com' }, { value: 'alice@home.test' }],
        [ENTERPRISE]: { department: 'R&D' },
      });
    });

    it('leaves out excluded attributes but never id', async () => {
      const res = await scim.request<List>(
        'GET',
        '/Users?excludedAttributes=emails,meta,name.familyName,id&filter=userName eq "bob@example.com"',
      );
      const bob = res.body.Resources[0]!;
      expect(bob.id).toBe(ids.bob);
      expect(bob).not.toHaveProperty('emails');
      expect(bob).not.toHaveProperty('meta');
      expect(bob.name).toEqual({ givenName: 'Bob' });
    });
  });

  describe('versions and ETags', () => {
    it('answers If-None-Match with the current ETag by 304 and a stale If-Match by 412', async () => {
      const id = await user('etag@example.com');
      const first = await scim.request<Json>('GET', `/Users/${id}`);
      const etag = first.headers.get('etag')!;
      expect(etag).toBe('W/"1"');
      expect((await scim.request('GET', `/Users/${id}`, undefined, { 'if-none-match': etag })).status).toBe(304);
      const changed = await scim.request<Json>(
        'PATCH',
        `/Users/${id}`,
        { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: 'A' }] },
        { 'if-match': etag },
      );
      expect(changed.status).toBe(200);
      expect(changed.headers.get('etag')).toBe('W/"2"');
      const stale = await scim.request<Json>(
        'PUT',
        `/Users/${id}`,
        { userName: 'etag@example.com', title: 'B' },
        { 'if-match': etag },
      );
      expect(stale.status).toBe(412);
      expect((await scim.request<Json>('GET', `/Users/${id}`)).body.title).toBe('A');
      expect((await scim.request('DELETE', `/Users/${id}`, undefined, { 'if-match': etag })).status).toBe(412);
      expect((await scim.request('DELETE', `/Users/${id}`, undefined, { 'if-match': 'W/"2"' })).status).toBe(204);
    });
  });

  describe('PATCH', () => {
    it('adds, replaces and removes with value filters, sub-attributes and URN paths', async () => {
      const id = await user('patchy@example.com', { emails: [{ value: 'p@example.com', type: 'work' }] });
      const res = await scim.request<Json>('PATCH', `/Users/${id}`, {
        schemas: [PATCH_OP],
        Operations: [
          { op: 'add', path: 'emails', value: [{ value: 'p@home.test', type: 'home' }] },
          { op: 'replace', path: 'emails[type eq "work"].primary', value: true },
          { op: 'add', path: `${ENTERPRISE}:costCenter`, value: 'CC-1' },
          { op: 'add', path: 'name', value: { givenName: 'Pat' } },
          { op: 'replace', path: 'name.familyName', value: 'Chy' },
          { op: 'remove', path: 'emails[type eq "home"]' },
        ],
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        emails: [{ value: 'p@example.com', type: 'work', primary: true }],
        name: { givenName: 'Pat', familyName: 'Chy' },
        [ENTERPRISE]: { costCenter: 'CC-1' },
      });
      const removed = await scim.request<Json>('PATCH', `/Users/${id}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: 'remove', path: 'name.givenName' }],
      });
      expect(removed.body.name).toEqual({ familyName: 'Chy' });
    });

    it.each([
      [{ op: 'replace', path: 'id', value: 'x' }, 'mutability'],
      [{ op: 'add', path: 'groups', value: [{ value: 'g' }] }, 'mutability'],
      [{ op: 'replace', path: 'nosuch', value: 'x' }, 'invalidPath'],
      [{ op: 'replace', path: 'emails[type eq "fax"]', value: { value: 'x' } }, 'noTarget'],
      // RFC 7644 §3.5.2.3: a replace whose value filter matches nothing, whatever the value, is noTarget.
      [{ op: 'replace', path: 'emails[type eq "fax"].value', value: 'x@example.com' }, 'noTarget'],
      [{ op: 'replace', path: 'emails[type eq "fax"].value', value: { value: 'x' } }, 'noTarget'],
      [{ op: 'replace', path: 'addresses[type eq "home"].locality', value: 'Lyon' }, 'noTarget'],
      [{ op: 'remove' }, 'noTarget'],
      [{ op: 'move', path: 'title', value: 'x' }, 'invalidSyntax'],
      [{ op: 'replace', path: 'active', value: 'perhaps' }, 'invalidValue'],
      [{ op: 'replace', path: 'userName', value: '' }, 'invalidValue'],
    ])('refuses %j with %s and changes nothing', async (operation, scimType) => {
      const id = ids.bob!;
      const before = await scim.request<Json>('GET', `/Users/${id}`);
      const res = await scim.request<Json>('PATCH', `/Users/${id}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: 'replace', path: 'title', value: 'changed first' }, operation],
      });
      expect(res.status).toBe(400);
      expect(res.body.scimType).toBe(scimType);
      expect((await scim.request<Json>('GET', `/Users/${id}`)).body).toEqual(before.body);
    });

    it('never clears group members unless the request says so', async () => {
      const g = await scim.request<Json>('POST', '/Groups', {
        displayName: 'Keepers',
        members: [{ value: ids.alice }, { value: ids.bob }],
      });
      const gid = g.body.id as string;
      const members = async (): Promise<number> =>
        (((await scim.request<Json>('GET', `/Groups/${gid}`)).body.members as Json[] | undefined) ?? []).length;
      await scim.request('PUT', `/Groups/${gid}`, { displayName: 'Keepers renamed' });
      expect(await members()).toBe(2);
      await scim.request('PATCH', `/Groups/${gid}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: 'remove', path: 'members', value: [] }],
      });
      expect(await members()).toBe(2);
      await scim.request('PATCH', `/Groups/${gid}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: 'remove', path: 'members' }],
      });
      expect(await members()).toBe(0);
      await scim.request('DELETE', `/Groups/${gid}`);
    });

    it('applies concurrent member PATCHes on one group without losing any', async () => {
      const g = await scim.request<Json>('POST', '/Groups', { displayName: 'Concurrent' });
      const gid = g.body.id as string;
      const userIds = await Promise.all(Array.from({ length: 12 }, (_, i) => user(`conc${i}@example.com`)));
      const results = await Promise.all(
        userIds.map((uid) =>
          scim.request('PATCH', `/Groups/${gid}`, {
            schemas: [PATCH_OP],
            Operations: [{ op: 'add', path: 'members', value: [{ value: uid }] }],
          }),
        ),
      );
      expect(results.map((r) => r.status)).toEqual(userIds.map(() => 204));
      const members = (await scim.request<Json>('GET', `/Groups/${gid}`)).body.members as Json[];
      expect(members.map((m) => m.value).sort()).toEqual([...userIds].sort());
      expect((await scim.request<Json>('GET', `/Groups/${gid}`)).body.meta).toMatchObject({
        version: `W/"${1 + userIds.length}"`,
      });
    });
  });

  describe('errors', () => {
    it('answers a missing or unknown token with 401, a SCIM body and WWW-Authenticate', async () => {
      for (const authorization of [
        undefined,
        'Basic abc',
        'Bearer ibscim_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
        'Bearer',
      ]) {
        const res = await fetch(`${server.url}/scim/v2/Users`, { headers: authorization ? { authorization } : {} });
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
        expect(res.headers.get('content-type')).toMatch(/^application\/scim\+json/);
        expect(await res.json()).toMatchObject({
          schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
          status: '401',
        });
      }
    });

    it('answers malformed JSON with 400 invalidSyntax', async () => {
      const res = await scim.request<Json>('POST', '/Users', '{"userName": ');
      expect([res.status, res.body.scimType, res.body.status]).toEqual([400, 'invalidSyntax', '400']);
    });

    it('answers a non-JSON content type with 415 and a SCIM body', async () => {
      const res = await scim.request<Json>('POST', '/Users', 'userName=x', {
        'content-type': 'application/x-www-form-urlencoded',
      });
      expect(res.status).toBe(415);
      expect(res.body).toMatchObject({ status: '415' });
    });

    it('answers an oversized body with 413 and a SCIM body', async () => {
      const res = await scim.request<Json>('POST', '/Users', {
        userName: 'big@example.com',
        title: 'x'.repeat(5 * 1024 * 1024),
      });
      expect(res.status).toBe(413);
      expect(res.body).toMatchObject({ status: '413' });
    });

    it.each([
      ['POST', '/Users', { userName: 'u'.repeat(513) }, 'userName'],
      [
        'POST',
        '/Users',
        { userName: 'ok-long@example.com', emails: [{ value: `${'e'.repeat(1100)}@x.test` }] },
        'emails.value',
      ],
      ['POST', '/Users', { userName: 'ok-long2@example.com', name: { givenName: 'g'.repeat(300) } }, 'name.givenName'],
      ['POST', '/Groups', { displayName: 'd'.repeat(513) }, 'displayName'],
      ['POST', '/Users', { userName: 'nul\u0000byte@example.com' }, 'NUL'],
    ])(
      'refuses an over-long value with 400 invalidValue on every dialect: %s %s',
      async (method, path, body, attribute) => {
        const before = (await scim.request<List>('GET', path)).body.totalResults;
        const res = await scim.request<Json>(method, path, body);
        expect([res.status, res.body.scimType]).toEqual([400, 'invalidValue']);
        expect(res.body.detail).toContain(attribute);
        expect((await scim.request<List>('GET', path)).body.totalResults).toBe(before);
      },
    );

    it('answers unknown routes and resources with 404 SCIM bodies', async () => {
      for (const path of [
        '/Nope',
        '/Users/00000000-0000-0000-0000-000000000000',
        '/Groups/not-a-uuid',
        '/Schemas/urn:nope',
        '/ResourceTypes/Device',
      ]) {
        const res = await scim.request<Json>('GET', path);
        expect(res.status).toBe(404);
        expect(res.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '404' });
      }
    });

    it('answers a taken userName from another connection of the org with 409 uniqueness', async () => {
      const other = await newConnection(server.running.services, server.url, 'okta', scim.orgId);
      const res = await other.request<Json>('POST', '/Users', { userName: 'ALICE@example.com' });
      expect([res.status, res.body.scimType]).toEqual([409, 'uniqueness']);
    });
  });

  describe('discovery', () => {
    it('tells the truth about what is supported', async () => {
      const spc = await scim.request<Json>('GET', '/ServiceProviderConfig');
      expect(spc.body).toMatchObject({
        patch: { supported: true },
        bulk: { supported: true, maxOperations: 1000, maxPayloadSize: 4194304 },
        filter: { supported: true, maxResults: 1000 },
        sort: { supported: true },
        etag: { supported: true },
        changePassword: { supported: false },
        pagination: { cursor: true, index: true },
      });
      const types = await scim.request<List>('GET', '/ResourceTypes');
      expect(types.body.Resources.map((r) => r.id)).toEqual(['User', 'Group']);
      expect((await scim.request<Json>('GET', '/ResourceTypes/User')).body.schemaExtensions).toEqual([
        { schema: ENTERPRISE, required: false },
      ]);
      const schemas = await scim.request<List>('GET', '/Schemas');
      expect(schemas.body.Resources.map((r) => r.id)).toEqual([
        'urn:ietf:params:scim:schemas:core:2.0:User',
        ENTERPRISE,
        'urn:ietf:params:scim:schemas:core:2.0:Group',
      ]);
      const userSchema = await scim.request<Json>('GET', '/Schemas/urn:ietf:params:scim:schemas:core:2.0:User');
      expect(userSchema.body.id).toBe('urn:ietf:params:scim:schemas:core:2.0:User');
    });
  });

  describe('Bulk', () => {
    it('creates a user and a group referencing it by bulkId, in any order', async () => {
      const res = await scim.request<{ Operations: Json[] }>('POST', '/Bulk', {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
        Operations: [
          {
            method: 'POST',
            path: '/Groups',
            bulkId: 'g1',
            data: { displayName: 'Bulk group', members: [{ value: 'bulkId:u1' }] },
          },
          { method: 'POST', path: '/Users', bulkId: 'u1', data: { userName: 'bulk1@example.com' } },
          {
            method: 'PATCH',
            path: '/Users/bulkId:u1',
            data: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: 'Bulked' }] },
          },
        ],
      });
      expect(res.status).toBe(200);
      const byId = Object.fromEntries(res.body.Operations.map((o) => [o.bulkId ?? o.method, o]));
      expect(byId.u1).toMatchObject({ status: '201' });
      expect(byId.g1).toMatchObject({ status: '201' });
      expect(byId.PATCH).toMatchObject({ status: '200' });
      const gid = String(byId.g1!.location).split('/').pop()!;
      const uid = String(byId.u1!.location).split('/').pop()!;
      const group = await scim.request<Json>('GET', `/Groups/${gid}`);
      expect((group.body.members as Json[]).map((m) => m.value)).toEqual([uid]);
      expect((await scim.request<Json>('GET', `/Users/${uid}`)).body.title).toBe('Bulked');
    });

    it('stops after failOnErrors errors and reports each failure with a SCIM body', async () => {
      const res = await scim.request<{ Operations: Json[] }>('POST', '/Bulk', {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
        failOnErrors: 1,
        Operations: [
          { method: 'POST', path: '/Users', bulkId: 'a', data: { userName: 'alice@example.com' } },
          { method: 'POST', path: '/Users', bulkId: 'b', data: { userName: 'never-created@example.com' } },
        ],
      });
      expect(res.body.Operations).toEqual([
        expect.objectContaining({
          bulkId: 'a',
          status: '409',
          response: expect.objectContaining({ scimType: 'uniqueness' }),
        }),
      ]);
      expect(await find('userName eq "never-created@example.com"')).toEqual([]);
    });

    it('refuses more operations than advertised with 413 tooMany', async () => {
      const res = await scim.request<Json>('POST', '/Bulk', {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
        Operations: Array.from({ length: 1001 }, (_, i) => ({ method: 'DELETE', path: `/Users/x${i}` })),
      });
      expect([res.status, res.body.scimType]).toEqual([413, 'tooMany']);
    });
  });
});
