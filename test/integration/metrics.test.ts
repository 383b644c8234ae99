/** /metrics after traffic: the series of each surface, SCIM by connection, decisions, sign-ins, recomputation, pool, event loop. */
import { CLI_ACTOR } from '../../src/domain/actor.js';
import { newConnection, type ScimClient } from '../support/scim-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const METRICS_TOKEN = 'metrics-token-0123456789';

describe('/metrics', () => {
  let server: TestServer;
  let okta: ScimClient;

  beforeAll(async () => {
    server = await startTestServer({ METRICS_TOKEN });
    okta = await newConnection(server.running.services, server.url, 'okta');
  });

  afterAll(async () => {
    await server?.close();
  });

  const scrape = async (): Promise<string> => {
    const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    return res.text();
  };

  it('refuses a scrape without the metrics token', async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    expect(
      (await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status,
    ).toBe(401);
  });

  it('exposes requests by surface and route, SCIM by connection, decisions, sign-ins, recomputation, pool and event loop', async () => {
    const s = server.running.services;
    const user = await okta.request('POST', '/Users', { userName: 'mia@example.com' });
    expect(user.status).toBe(201);
    const group = await okta.request('POST', '/Groups', { displayName: 'Builders' });
    await s.mappings.create(okta.orgId, { connectionId: okta.connectionId, group: group.body.id as string }, CLI_ACTOR);
    await okta.request('PATCH', `/Groups/${group.body.id as string}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'add', path: 'members', value: [{ value: user.body.id }] }],
    });
    expect((await okta.request('GET', `/Users/${user.body.id as string}`)).status).toBe(200);
    expect((await okta.request('POST', '/Users', { userName: 'mia@example.com' })).status).toBe(409);
    const token = (await s.adminTokens.issue(okta.orgId, CLI_ACTOR, { role: 'User' })).token;
    for (const scope of ['ci:read', 'nope:read']) {
      await fetch(`${server.url}/v1/access/check`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ user: 'mia@example.com', scope }),
      });
    }
    await fetch(`${server.url}/sso/${okta.connectionId}/oidc/callback?state=forged&code=x`, { redirect: 'manual' });

    const text = await scrape();
    const has = (pattern: RegExp): void => expect(text).toMatch(pattern);
    has(/^ib_http_requests_total\{surface="scim",route="\/scim\/v2\/Users",method="POST",status="201"\} [1-9]/m);
    has(/^ib_http_requests_total\{surface="scim",route="\/scim\/v2\/Users\/:id",method="GET",status="200"\} 1$/m);
    // Both decisions are in the histogram whatever they took (a busy machine can take over 0.5 s).
    has(
      /^ib_http_request_duration_seconds_bucket\{le="\+Inf",surface="decisions",route="\/v1\/access\/check",method="POST"\} 2$/m,
    );
    has(/^ib_http_request_duration_seconds_count\{surface="decisions",route="\/v1\/access\/check",method="POST"\} 2$/m);
    has(
      new RegExp(
        `^ib_scim_operations_total\\{connection="${okta.connectionId}",operation="POST Users",result="409"\\} 1$`,
        'm',
      ),
    );
    has(
      new RegExp(
        `^ib_scim_operations_total\\{connection="${okta.connectionId}",operation="PATCH Groups",result="204"\\} 1$`,
        'm',
      ),
    );
    has(/^ib_access_decisions_total\{result="allowed"\} [1-9]/m);
    has(/^ib_sso_logins_total\{protocol="oidc",result="refused"\} [1-9]/m);
    has(/^ib_access_recompute_seconds_count\{change="members_changed"\} [1-9]/m);
    has(/^ib_db_pool_connections\{state="used"\} \d+/m);
    has(/^nodejs_eventloop_lag_seconds \d/m);
  });
});
