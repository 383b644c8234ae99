/** Access logs: one JSON line per request with its id, status and time; no headers, no secrets. */
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import express from 'express';
import { requestLog } from '../../src/http/request-log.js';
import { createLogger } from '../../src/telemetry/logger.js';

describe('request log', () => {
  it('writes one line per request with id, status and time, masking secrets and leaving headers out', async () => {
    const chunks: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        chunks.push(chunk.toString());
        done();
      },
    });
    const app = express();
    app.use(requestLog(createLogger('info', sink)));
    app.get('/thing', (req, res) => {
      req.log.info('inside the handler');
      res.status(201).json({ ok: true });
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const res = await fetch(`${url}/thing?code=s3cret&page=2`, {
        headers: { authorization: 'Bearer ibscim_secret', 'x-request-id': 'req-42' },
      });
      expect(res.status).toBe(201);
      expect(res.headers.get('x-request-id')).toBe('req-42');
      await new Promise((r) => setTimeout(r, 20));
    } finally {
      server.close();
    }
    const lines = chunks
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ reqId: 'req-42', msg: 'inside the handler' });
    expect(lines[1]).toMatchObject({
      level: 'info',
      reqId: 'req-42',
      msg: 'request completed',
      req: { method: 'GET', url: '/thing?code=%5BRedacted%5D&page=2' },
      res: { statusCode: 201 },
      responseTime: expect.any(Number),
    });
    expect(chunks.join('')).not.toContain('s3cret');
    expect(chunks.join('')).not.toContain('ibscim_secret');
  });
});
