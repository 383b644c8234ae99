/**
 * A connection lost under a SCIM change: lost before the change commits, the answer is a
 * refusal (503) and nothing was applied; lost while its commit is in flight (the COMMIT of a
 * transaction, or a change that is one statement), the database may have applied it, so the
 * answer is 502 (outcome unknown), never a 503 that an IdP would take for "not applied".
 * The proxy passes the statement on and drops the connection as its answer comes back.
 */
import pg from 'pg';
import { newConnection, type ScimClient, type ScimResponse } from '../../support/scim-client.js';
import { startServerBehindProxy, type ServerBehindProxy } from '../../support/server-behind-proxy.js';
import type { TcpProxy } from '../../support/tcp-proxy.js';

type Json = Record<string, unknown>;
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

describe('a connection lost under a SCIM change', () => {
  let server: ServerBehindProxy;
  let proxy: TcpProxy;
  let scim: ScimClient;
  let direct: pg.Client;
  const logged = (): Json[] => server.logged.map((line) => JSON.parse(line) as Json);

  beforeAll(async () => {
    server = await startServerBehindProxy({ SCIM_RATE_LIMIT: '0' });
    proxy = server.proxy;
    scim = await newConnection(server.running.services, server.running.url, 'okta');
    direct = new pg.Client({ connectionString: server.database.url });
    await direct.connect();
  });

  afterAll(async () => {
    await direct.end();
    await server.close();
  });

  /** The answer, once the proxy has dropped the connection under the request's statement. */
  async function underCut(marker: string, after: string | undefined, send: () => Promise<ScimResponse<Json>>) {
    const dropped = proxy.dropAnswerTo(marker, after);
    const res = await send();
    await dropped;
    return res;
  }

  function expectOutcomeUnknown(res: ScimResponse<Json>): void {
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toMatch(/^application\/scim\+json/);
    expect(res.body).toMatchObject({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
      status: '502',
      detail: expect.stringMatching(/may or may not have been applied/),
    });
    // Expected during a failover: one access line at warn saying why, not a fault at error.
    const lines = logged().filter((l) => l.reqId === res.headers.get('x-request-id'));
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'warn',
        res: { statusCode: 502 },
        outcomeUnknown: expect.objectContaining({ reason: expect.any(String) }),
      }),
    ]);
  }

  const userNamed = async (userName: string): Promise<Json | undefined> =>
    (await direct.query('SELECT * FROM directory_users WHERE user_name = $1', [userName])).rows[0] as Json | undefined;

  it('answers 502, not 503, to a create (one statement) that the database ran before the connection was lost', async () => {
    const res = await underCut('lost-answer@example.com', undefined, () =>
      scim.request<Json>('POST', '/Users', { userName: 'lost-answer@example.com' }),
    );
    expectOutcomeUnknown(res);
    expect(await userNamed('lost-answer@example.com')).toBeDefined();
    // The IdP, reading before it believes either, finds the user.
    const found = await scim.request<{ totalResults: number }>(
      'GET',
      `/Users?filter=${encodeURIComponent('userName eq "lost-answer@example.com"')}`,
    );
    expect(found.body.totalResults).toBe(1);
  }, 30_000);

  it('answers 502 to a group create whose COMMIT was in flight when the connection was lost', async () => {
    const res = await underCut('COMMIT', 'Committed Unheard', () =>
      scim.request<Json>('POST', '/Groups', { displayName: 'Committed Unheard' }),
    );
    expectOutcomeUnknown(res);
    const groups = await direct.query('SELECT id FROM directory_groups WHERE display_name = $1', ['Committed Unheard']);
    expect(groups.rowCount).toBe(1);
  }, 30_000);

  it('answers 503 and applies nothing when the connection is lost before the transaction commits', async () => {
    const res = await underCut('Never Committed', undefined, () =>
      scim.request<Json>('POST', '/Groups', { displayName: 'Never Committed' }),
    );
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    const groups = await direct.query('SELECT id FROM directory_groups WHERE display_name = $1', ['Never Committed']);
    expect(groups.rowCount).toBe(0);
  }, 30_000);

  it('answers 503 and applies nothing when no connection can be opened (each one dropped as it opens)', async () => {
    proxy.resetAll();
    try {
      // Let the pool see its connections gone before the request.
      await new Promise((r) => setTimeout(r, 100));
      const res = await scim.request<Json>('POST', '/Users', { userName: 'never-opened@example.com' });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    } finally {
      await proxy.restore();
    }
    expect(await userNamed('never-opened@example.com')).toBeUndefined();
    let status = 0;
    for (let attempt = 0; attempt < 20 && status !== 200; attempt++) {
      status = (await scim.request('GET', '/Users')).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
  }, 30_000);

  it('answers 502 to a one-member group PATCH and to a user PATCH whose statement ran before the connection was lost', async () => {
    const user = (await scim.request<Json>('POST', '/Users', { userName: 'member@example.com' })).body.id as string;
    const group = (await scim.request<Json>('POST', '/Groups', { displayName: 'Team', members: [] })).body.id as string;
    const added = await underCut(user, undefined, () =>
      scim.request<Json>('PATCH', `/Groups/${group}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: 'add', path: 'members', value: [{ value: user }] }],
      }),
    );
    expectOutcomeUnknown(added);
    const members = await direct.query('SELECT user_id FROM group_memberships WHERE group_id = $1', [group]);
    expect(members.rows).toEqual([{ user_id: user }]);

    const titled = await underCut('Unheard Title', undefined, () =>
      scim.request<Json>('PATCH', `/Users/${user}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: 'replace', path: 'title', value: 'Unheard Title' }],
      }),
    );
    expectOutcomeUnknown(titled);
    const after = await scim.request<Json>('GET', `/Users/${user}`);
    expect(after.body.title).toBe('Unheard Title');
  }, 30_000);
});
