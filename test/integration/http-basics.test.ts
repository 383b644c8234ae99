import { migrateRollback, migrateLatest } from '../../src/store/database.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

describe('HTTP basics', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });

  afterAll(async () => {
    await server.close();
  });

  it('answers /healthz with 200', async () => {
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz with 200 when the database is reachable and migrated', async () => {
    const res = await fetch(`${server.url}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready' });
  });

  it('answers /readyz with 503 while a migration is pending', async () => {
    const db = server.running.store.db;
    await migrateRollback(db, true);
    try {
      const res = await fetch(`${server.url}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ status: 'unavailable', reason: 'migrations pending' });
    } finally {
      await migrateLatest(db);
    }
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });

  it('answers an unknown route with a JSON 404', async () => {
    const res = await fetch(`${server.url}/no/such/route`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({
      error: { code: 'route.not_found', message: 'No route for GET /no/such/route' },
    });
  });

  it('answers malformed JSON with 400 and no stack trace', async () => {
    const res = await fetch(`${server.url}/anything`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"broken": ',
    });
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ error: { code: 'request.invalid_json' } });
    expect(text).not.toMatch(/at .*\.(js|ts):\d+/);
    expect(text).not.toContain('SyntaxError');
  });

  it('refuses a body over the limit with 413', async () => {
    const res = await fetch(`${server.url}/anything`, {
      method: 'POST',
      headers: { 'content-type': 'application/scim+json' },
      body: JSON.stringify({ padding: 'x'.repeat(2 * 1024 * 1024) }),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { code: 'request.too_large' } });
  });

  it('echoes a sane X-Request-Id and generates one otherwise', async () => {
    const given = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'abc-123' } });
    expect(given.headers.get('x-request-id')).toBe('abc-123');
    const hostile = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'a b<script>' } });
    expect(hostile.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sends security headers and hides the framework', async () => {
    const res = await fetch(`${server.url}/healthz`);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('strict-transport-security')).toContain('max-age=');
    expect(res.headers.get('x-powered-by')).toBeNull();
  });
});
