/**
 * A request unanswered after the timeout gets 503 with Retry-After (a SCIM body on SCIM routes),
 * a write 504 (it may still be applied); the late answer is dropped.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { requestTimeout } from '../../src/http/request-timeout.js';
import { scimTimeoutAnswer } from '../../src/scim/scim-error.js';

describe('request timeout', () => {
  let url: string;
  let close: () => Promise<void>;
  let lateAnswerSent: Promise<void>;

  beforeAll(async () => {
    const app = express();
    app.use(requestTimeout(1000, { '/scim/': scimTimeoutAnswer }));
    let answered: () => void = () => undefined;
    lateAnswerSent = new Promise((resolve) => (answered = resolve));
    const slow: express.RequestHandler = (_req, res) => {
      setTimeout(() => {
        res.status(201).json({ late: true });
        answered();
      }, 1300);
    };
    app.get('/scim/v2/Users', slow);
    app.post('/scim/v2/Users', slow);
    app.get('/v1/slow', slow);
    app.get('/v1/fast', (_req, res) => {
      res.json({ fast: true });
    });
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => new Promise((resolve) => server.close(() => resolve()));
  });

  afterAll(async () => {
    await close();
  });

  it('answers a slow SCIM request with a 503 SCIM error and Retry-After, and drops the late answer', async () => {
    const res = await fetch(`${url}/scim/v2/Users`);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(res.headers.get('content-type')).toMatch(/^application\/scim\+json/);
    expect(await res.json()).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '503' });
    await lateAnswerSent;
  });

  it('answers a slow SCIM write with a 504 SCIM error that says the change may still be applied, not a 503 refusal', async () => {
    const res = await fetch(`${url}/scim/v2/Users`, { method: 'POST' });
    expect(res.status).toBe(504);
    expect(res.headers.get('retry-after')).toBeNull();
    expect(res.headers.get('content-type')).toMatch(/^application\/scim\+json/);
    expect(await res.json()).toMatchObject({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
      status: '504',
      detail: expect.stringMatching(/may still be applied/),
    });
  });

  it('answers other slow requests with a JSON 503, and lets fast ones through untouched', async () => {
    const slow = await fetch(`${url}/v1/slow`);
    expect(slow.status).toBe(503);
    expect(await slow.json()).toMatchObject({ error: { code: 'request.timeout' } });
    const fast = await fetch(`${url}/v1/fast`);
    expect(fast.status).toBe(200);
    expect(await fast.json()).toEqual({ fast: true });
  });
});
