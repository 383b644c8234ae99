/**
 * A request still unanswered after REQUEST_TIMEOUT_MS gets 503 with Retry-After (a SCIM
 * error body on SCIM routes). The work behind it is not cancelled: a write still commits or
 * rolls back as a whole, and the client, not having had an answer, retries. Whatever the
 * late handler then sends is dropped.
 */
import type { RequestHandler, Response } from 'express';
import { URN } from '../scim/urns.js';

function silence(res: Response): void {
  // The answer has gone: make the late handler's writes no-ops instead of errors.
  const noop = function (this: Response): Response {
    return res;
  };
  for (const method of ['status', 'set', 'setHeader', 'type', 'json', 'send', 'end', 'append'] as const) {
    (res as unknown as Record<string, unknown>)[method] = noop;
  }
}

export function requestTimeout(ms: number): RequestHandler {
  return (req, res, next) => {
    const timer = setTimeout(() => {
      if (res.headersSent) return;
      const scim = req.originalUrl.startsWith('/scim/');
      const detail = `No answer within ${ms} ms; retry shortly`;
      res.setHeader('Retry-After', '5');
      res.status(503);
      if (scim) {
        res.type('application/scim+json').send(JSON.stringify({ schemas: [URN.error], status: '503', detail }));
      } else {
        res.json({ error: { code: 'request.timeout', message: detail, requestId: String(req.id ?? '') } });
      }
      silence(res);
    }, ms);
    timer.unref();
    const clear = (): void => clearTimeout(timer);
    res.once('finish', clear);
    res.once('close', clear);
    next();
  };
}
