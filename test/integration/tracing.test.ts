/**
 * Traces with an in-memory exporter: a decision over HTTP yields an HTTP span, SQL spans and
 * an access.decision span carrying org.id, user.id and team.id; a SCIM member change yields
 * an access.recompute span.
 */
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { CLI_ACTOR } from '../../src/domain/actor.js';
import { startTracing } from '../../src/telemetry/tracing.js';
import { newConnection } from '../support/scim-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

describe('tracing', () => {
  const exporter = new InMemorySpanExporter();
  let stopTracing: () => Promise<void>;
  let server: TestServer;

  beforeAll(async () => {
    stopTracing = startTracing(new SimpleSpanProcessor(exporter));
    server = await startTestServer();
  });

  afterAll(async () => {
    await server?.close();
    await stopTracing?.();
  });

  it('puts user.id and team.id on the decision span, inside the HTTP request span with its SQL spans', async () => {
    const s = server.running.services;
    const okta = await newConnection(s, server.url, 'okta');
    const user = await okta.request('POST', '/Users', { userName: 'tia@example.com' });
    const group = await okta.request('POST', '/Groups', { displayName: 'CI' });
    const team = await s.teams.create(okta.orgId, { name: 'ci-team', scopes: ['ci:read'] }, CLI_ACTOR);
    await s.mappings.create(
      okta.orgId,
      { connectionId: okta.connectionId, group: group.body.id as string, teams: [team.id] },
      CLI_ACTOR,
    );
    await okta.request('PATCH', `/Groups/${group.body.id as string}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'add', path: 'members', value: [{ value: user.body.id }] }],
    });
    const token = (await s.adminTokens.issue(okta.orgId, CLI_ACTOR, { role: 'User' })).token;
    exporter.reset();
    const res = await fetch(`${server.url}/v1/access/check`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'tia@example.com', scope: 'ci:read' }),
    });
    expect(((await res.json()) as { allowed: boolean }).allowed).toBe(true);

    const spans = exporter.getFinishedSpans();
    const decision = spans.find((sp) => sp.name === 'access.decision');
    expect(decision?.attributes).toMatchObject({
      'org.id': okta.orgId,
      'user.id': user.body.id,
      'team.id': [team.id],
      'access.allowed': true,
    });
    const http = spans.find((sp) => sp.name === 'HTTP POST');
    expect(http?.attributes).toMatchObject({
      'http.route': '/v1/access/check',
      'http.response.status_code': 200,
      'org.id': okta.orgId,
    });
    const inTrace = (sp: ReadableSpan): boolean => sp.spanContext().traceId === http!.spanContext().traceId;
    expect(inTrace(decision!)).toBe(true);
    expect(spans.filter((sp) => sp.name === 'db.query' && inTrace(sp)).length).toBeGreaterThan(0);
  });

  it('puts session.id and user.id of a signed-in employee on the HTTP span, never the cookie', async () => {
    const s = server.running.services;
    const okta = await newConnection(s, server.url, 'okta');
    const user = await okta.request('POST', '/Users', { userName: 'val@example.com' });
    const { token } = await s.sessions.start({
      orgId: okta.orgId,
      userId: user.body.id as string,
      connectionId: okta.connectionId,
      protocol: 'saml',
    });
    exporter.reset();
    expect((await fetch(`${server.url}/auth/me`, { headers: { cookie: `ib_session=${token}` } })).status).toBe(200);
    const http = exporter
      .getFinishedSpans()
      .find((sp) => sp.name === 'HTTP GET' && sp.attributes['http.route'] === '/auth/me');
    expect(http?.attributes).toMatchObject({ 'org.id': okta.orgId, 'user.id': user.body.id });
    expect(http?.attributes['session.id']).toMatch(/^[0-9a-f]{16}$/);
    expect(JSON.stringify(http?.attributes)).not.toContain(token);
  });

  it('records a recomputation span for a SCIM membership change in a mapped group', async () => {
    const s = server.running.services;
    const okta = await newConnection(s, server.url, 'okta');
    const user = await okta.request('POST', '/Users', { userName: 'uma@example.com' });
    const group = await okta.request('POST', '/Groups', { displayName: 'Ops' });
    await s.mappings.create(okta.orgId, { connectionId: okta.connectionId, group: group.body.id as string }, CLI_ACTOR);
    exporter.reset();
    await okta.request('PATCH', `/Groups/${group.body.id as string}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'add', path: 'members', value: [{ value: user.body.id }] }],
    });
    const recompute = exporter.getFinishedSpans().find((sp) => sp.name === 'access.recompute');
    expect(recompute?.attributes).toMatchObject({ 'org.id': okta.orgId, 'access.change': 'members_changed' });
  });
});
