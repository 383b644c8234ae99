/**
 * Rate limits are shared by the instances of a fleet: a SCIM token's budget and a client
 * IP's sign-in budget hold across two instances on one PostgreSQL database, and each 429
 * carries Retry-After (a SCIM error body on SCIM routes).
 */
import type { RunningServer } from '../../../src/server.js';
import { newConnection, type ScimClient } from '../../support/scim-client.js';
import { startInstanceOn, startTestServer, type TestServer } from '../../support/test-server.js';

const LIMITS = { SCIM_RATE_LIMIT: '20', SIGN_IN_RATE_LIMIT: '6' };

describe('rate limits across instances', () => {
  let a: TestServer;
  let b: RunningServer;
  let okta: ScimClient;

  beforeAll(async () => {
    a = await startTestServer(LIMITS);
    b = await startInstanceOn(a.database.url, LIMITS);
    okta = await newConnection(a.running.services, a.url, 'okta');
  });

  afterAll(async () => {
    await b.close();
    await a.close();
  });

  it("share a SCIM token's budget: 40 requests split over two instances get 20 through and 429s with Retry-After", async () => {
    const statuses: number[] = [];
    const refusals: Array<{ retryAfter: string | null; body: Record<string, unknown> }> = [];
    for (let i = 0; i < 40; i++) {
      const base = i % 2 === 0 ? a.url : b.url;
      const res = await fetch(`${base}/scim/v2/Users?count=1`, { headers: { authorization: `Bearer ${okta.token}` } });
      statuses.push(res.status);
      if (res.status === 429) {
        refusals.push({
          retryAfter: res.headers.get('retry-after'),
          body: (await res.json()) as Record<string, unknown>,
        });
      } else {
        await res.arrayBuffer();
      }
    }
    // Whether the minute turns over mid-run decides whether a few more fit; never more than one budget per window.
    const accepted = statuses.filter((s) => s === 200).length;
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    expect(accepted).toBeGreaterThanOrEqual(20);
    expect(accepted).toBeLessThanOrEqual(40 - refusals.length);
    expect(refusals.length).toBeGreaterThan(0);
    for (const r of refusals) {
      expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(r.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '429' });
    }
    const firstWindow = statuses.indexOf(429);
    expect(firstWindow).toBeGreaterThanOrEqual(20);
  });

  it("share a client IP's sign-in budget over both instances", async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 10; i++) {
      const base = i % 2 === 0 ? a.url : b.url;
      const res = await fetch(`${base}/login`, { redirect: 'manual' });
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get('retry-after');
      await res.arrayBuffer();
    }
    expect(statuses.slice(0, 6).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(6).every((s) => s === 429)).toBe(true);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
  });
});
