/**
 * Every statement has a deadline below the request timeout: PostgreSQL stops a statement
 * that runs past STATEMENT_TIMEOUT_MS, the request is answered 503 with Retry-After (a SCIM
 * body on SCIM), nothing it started is kept, and the backend is idle afterwards.
 */
import pg from 'pg';
import { newConnection, type ScimClient } from '../../support/scim-client.js';
import { startTestServer, type TestServer } from '../../support/test-server.js';

type Json = Record<string, unknown>;
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

describe('statement deadlines on PostgreSQL', () => {
  let server: TestServer;
  let scim: ScimClient;

  beforeAll(async () => {
    server = await startTestServer({ STATEMENT_TIMEOUT_MS: '400', REQUEST_TIMEOUT_MS: '10000' });
    scim = await newConnection(server.running.services, server.url, 'okta');
  });

  afterAll(async () => {
    await server.close();
  });

  it('answers a write stopped at its deadline with 503 and Retry-After, keeps nothing, and leaves no backend busy', async () => {
    const id = (await scim.request<Json>('POST', '/Users', { userName: 'slow@example.com', title: 'Before' })).body
      .id as string;
    // Another session holds the user's row: the PATCH waits on the lock until its deadline.
    const holder = new pg.Client({ connectionString: server.database.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM directory_users WHERE id = $1 FOR UPDATE', [id]);
      const started = Date.now();
      const res = await scim.request<Json>('PATCH', `/Users/${id}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: 'replace', path: 'title', value: 'After' }],
      });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(res.body).toMatchObject({ status: '503', detail: expect.stringMatching(/deadline/) });
      expect(Date.now() - started).toBeLessThan(5000);
      const busy = await holder.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'identity-bridge' AND state <> 'idle' AND datname = current_database()",
      );
      expect(busy.rows[0].n).toBe(0);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    expect((await scim.request<Json>('GET', `/Users/${id}`)).body.title).toBe('Before');
    // The connection is fine afterwards, and the 503 is not a fault recorded against the IdP.
    const after = await scim.request<Json>('PATCH', `/Users/${id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', path: 'title', value: 'After' }],
    });
    expect(after.status).toBe(200);
    const connection = await server.running.store.repos.connections.get(scim.orgId, scim.connectionId);
    expect(connection?.lastScimError).toBeNull();
  });
});
