/**
 * Filters cost what their bounds allow and no more: past a bound the answer is 400
 * invalidFilter naming it; within them, many-term filters answer exactly what the same
 * conditions mean one by one; dates compare as instants on both databases; a search that
 * runs past its deadline is stopped and answered 503, while everyone else is served.
 */
import { randomUUID } from 'node:crypto';
import { openDatabase } from '../../src/store/database.js';
import { newConnection, type ScimClient } from '../support/scim-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

type Json = Record<string, unknown>;
type List = { totalResults: number; Resources: Json[]; scimType?: string; detail?: string };
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

const q = (filter: string): string => encodeURIComponent(filter);
const join = (n: number, term: (i: number) => string, op = 'or'): string =>
  Array.from({ length: n }, (_, i) => term(i)).join(` ${op} `);
const names = (list: List): string[] => list.Resources.map((r) => String(r.userName ?? r.displayName)).sort();

describe('SCIM filters within their bounds', () => {
  let server: TestServer;
  let scim: ScimClient;
  const users: Record<string, string> = {};
  const groups: string[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    scim = await newConnection(server.running.services, server.url, 'okta');
    for (const n of ['ann', 'bob', 'cat', 'dan', 'eve']) {
      const res = await scim.request<Json>('POST', '/Users', {
        userName: `${n}@bounds.example`,
        emails: [
          { value: `${n}@work.example`, type: 'work', primary: true },
          { value: `${n}@home.example`, type: 'home' },
        ],
      });
      users[n] = res.body.id as string;
    }
    const memberships = [['ann', 'bob'], ['bob', 'cat'], ['cat'], ['dan'], ['eve'], []];
    for (const [i, members] of memberships.entries()) {
      const res = await scim.request<Json>('POST', '/Groups', {
        displayName: `Team ${i}`,
        members: members.map((m) => ({ value: users[m] })),
      });
      groups.push(res.body.id as string);
    }
  });

  afterAll(async () => {
    await server.close();
  });

  it.each(['/Users', '/Groups', '/Users/.search', '/.search'])(
    'refuses a filter past the bounds on %s with 400 naming the bound',
    async (path) => {
      const tooMany = join(51, (i) => `externalId eq "x${i}"`);
      const res = path.endsWith('.search')
        ? await scim.request<List>('POST', path, { filter: tooMany })
        : await scim.request<List>('GET', `${path}?filter=${q(tooMany)}`);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ scimType: 'invalidFilter', detail: expect.stringContaining('50 comparisons') });
      const deep = await scim.request<List>('GET', `/Users?filter=${q(`${'('.repeat(9)}userName pr${')'.repeat(9)}`)}`);
      expect(deep.body).toMatchObject({ scimType: 'invalidFilter', detail: expect.stringContaining('8 levels') });
    },
  );

  it('answers many collection terms exactly as the same conditions taken one by one', async () => {
    const inGroups = (ids: string[]): string => join(ids.length, (i) => `groups.value eq "${ids[i]}"`);
    // Four terms and more are read as one grouped join per collection.
    const four = await scim.request<List>('GET', `/Users?filter=${q(inGroups(groups.slice(0, 4)))}`);
    expect(names(four.body)).toEqual(['ann', 'bob', 'cat', 'dan'].map((n) => `${n}@bounds.example`));
    const fifty = await scim.request<List>(
      'GET',
      `/Users?filter=${q(inGroups([...groups.slice(2, 3), ...Array.from({ length: 49 }, () => randomUUID())]))}`,
    );
    expect(names(fifty.body)).toEqual(['cat@bounds.example']);
    const mixed = `(groups.value eq "${groups[0]}" and groups.value eq "${groups[1]}") or (emails[type eq "home" and value sw "eve"] and not (groups.value eq "${groups[0]}")) or not (emails.value pr)`;
    const res = await scim.request<List>('GET', `/Users?filter=${q(mixed)}`);
    expect(names(res.body)).toEqual(['bob@bounds.example', 'eve@bounds.example']);
    const none = await scim.request<List>('GET', `/Users?filter=${q(`not (${inGroups(groups.slice(0, 5))})`)}`);
    expect(names(none.body)).toEqual([]);
    const members = await scim.request<List>(
      'GET',
      `/Groups?filter=${q(join(4, (i) => `members[value eq "${[users.bob, users.cat, users.ann, users.bob][i]}"]`, 'and'))}&excludedAttributes=members`,
    );
    expect(names(members.body)).toEqual([]);
    const either = await scim.request<List>(
      'GET',
      `/Groups?filter=${q(join(4, (i) => `members.value eq "${[users.cat, users.eve, randomUUID(), randomUUID()][i]}"`))}&excludedAttributes=members`,
    );
    expect(names(either.body)).toEqual(['Team 1', 'Team 2', 'Team 4']);
  });

  it('compares meta dates as instants, and refuses what is not an xsd:dateTime, alike on both databases', async () => {
    const total = async (filter: string): Promise<number | string> => {
      const res = await scim.request<List>('GET', `/Users?filter=${q(filter)}`);
      return res.status === 200 ? res.body.totalResults : `${res.status} ${res.body.scimType}`;
    };
    expect(await total('meta.created lt "+010000-01-01T00:00:00Z"')).toBe('400 invalidFilter');
    expect(await total('meta.created gt "2021-02-30T00:00:00Z"')).toBe('400 invalidFilter');
    expect(await total('meta.created lt "10000-01-01T00:00:00Z"')).toBe(5);
    expect(await total('meta.created gt "275760-09-13T00:00:00.000Z"')).toBe(0);
    expect(await total('meta.created lt "0001-01-01T00:00:00Z"')).toBe(0);
    const ann = (await scim.request<Json>('GET', `/Users/${users.ann}`)).body.meta as { created: string };
    const created = Date.parse(ann.created);
    // The same instant, written as Berlin's wall clock.
    const inBerlin = new Date(created + 3_600_000).toISOString().replace('Z', '+01:00');
    expect(await total(`meta.created le "${ann.created}" and userName eq "ann@bounds.example"`)).toBe(1);
    expect(await total(`meta.lastModified ge "${new Date(created - 60_000).toISOString()}"`)).toBe(5);
    expect(await total(`meta.created gt "${inBerlin}" and userName eq "ann@bounds.example"`)).toBe(0);
    expect(await total(`meta.created ge "${inBerlin}" and userName eq "ann@bounds.example"`)).toBe(1);
  });

  it('applies a one-member PATCH, then finds the member through a grouped filter', async () => {
    await scim.request('PATCH', `/Groups/${groups[5]}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'add', path: 'members', value: [{ value: users.eve }] }],
    });
    const res = await scim.request<List>(
      'GET',
      `/Users?filter=${q(join(5, (i) => `groups.value eq "${groups[5 - (i % 2) * 5]}"`))}`,
    );
    expect(names(res.body)).toEqual(['ann@bounds.example', 'bob@bounds.example', 'eve@bounds.example']);
  });
});

describe('a search past its deadline', () => {
  let server: TestServer;
  let attacker: ScimClient;
  let other: ScimClient;

  beforeAll(async () => {
    // The shared rate limiter adds its counts in the background, a write that may still be
    // running when the test looks for statements the service did not stop: off here.
    server = await startTestServer({ STATEMENT_TIMEOUT_MS: '100', REQUEST_TIMEOUT_MS: '20000', SCIM_RATE_LIMIT: '0' });
    attacker = await newConnection(server.running.services, server.url, 'generic');
    other = await newConnection(server.running.services, server.url, 'okta');
    // 20,000 users with two emails each, written in bulk (on a connection without the service's
    // 100 ms deadline): a scan of them all takes far longer than 100 ms.
    const db = openDatabase(server.database.config);
    const at = new Date().toISOString();
    for (let start = 0; start < 20_000; start += 100) {
      const rows = Array.from({ length: 100 }, (_, k) => {
        const i = start + k;
        return {
          id: randomUUID(),
          org_id: attacker.orgId,
          connection_id: attacker.connectionId,
          user_name: `user${i}@big.example`,
          user_name_lower: `user${i}@big.example`,
          active: true,
          version: 1,
          created_at: at,
          updated_at: at,
        };
      });
      await db('directory_users').insert(rows);
      await db('directory_user_values').insert(
        rows.flatMap((r, k) =>
          ['work', 'home'].map((type, position) => ({
            org_id: r.org_id,
            user_id: r.id,
            attribute: 'emails',
            position,
            type,
            value: `${type}${start + k}@big.example`,
            value_lower: `${type}${start + k}@big.example`,
            primary: position === 0,
          })),
        ),
      );
    }
    await db.destroy();
    await other.request('POST', '/Users', { userName: 'steady@other.example' });
  });

  afterAll(async () => {
    await server.close();
  });

  it('is stopped and answered 503 with Retry-After, while the service answers everyone else', async () => {
    const heavy = q(join(50, (i) => (i % 2 ? `emails.value co "nomatch${i}"` : `userName co "none${i}"`)));
    const searches = Array.from({ length: 4 }, () => attacker.request<List>('GET', `/Users?filter=${heavy}`));
    const meanwhile: number[] = [];
    for (let i = 0; i < 10; i++) {
      meanwhile.push((await other.request('GET', `/Users?filter=${q('userName eq "steady@other.example"')}`)).status);
      meanwhile.push((await fetch(`${server.url}/healthz`)).status);
    }
    const answers = await Promise.all(searches);
    expect(meanwhile.every((s) => s === 200)).toBe(true);
    for (const res of answers) {
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(res.body).toMatchObject({ status: '503' });
    }
    if (server.database.dialect === 'pg') {
      const busy = await server.running.store.db.raw<{ rows: Array<{ n: number }> }>(
        // Every statement of the service still running, but the planner statistics' ANALYZE (maintenance, not a search).
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'identity-bridge' AND state = 'active' AND pid <> pg_backend_pid() AND datname = current_database() AND query NOT ILIKE 'analyze%'",
      );
      expect(busy.rows[0]!.n).toBe(0);
    }
    // A connection that did nothing wrong keeps no error; the refusals are not faults of the IdP.
    const connection = await server.running.store.repos.connections.get(attacker.orgId, attacker.connectionId);
    expect(connection?.lastScimError ?? null).toBeNull();
  });
});
