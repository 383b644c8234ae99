/**
 * A request still unanswered after REQUEST_TIMEOUT_MS gets 503 with Retry-After, worded as
 * its surface words errors (SCIM's error body under /scim/, given by the app's assembly).
 * The work behind it is not cancelled: a write still commits or rolls back as a whole, and
 * the client, not having had an answer, retries. Whatever the late handler then sends is
 * dropped.
 */
import type { RequestHandler, Response } from 'express';

/** Sends the 503's body (status and Retry-After are set) as one surface words its errors. */
export type TimeoutAnswer = (res: Response, detail: string) => void;

function silence(res: Response): void {
  // The answer has gone: make the late handler's writes no-ops instead of errors.
  const noop = function (this: Response): Response {
    return res;
  };
  for (const method of ['status', 'set', 'setHeader', 'type', 'json', 'send', 'end', 'append'] as const) {
    (res as unknown as Record<string, unknown>)[method] = noop;
  }
}

/** `answers`: path prefix → how that surface words the 503; every other path gets a JSON error. */
export function requestTimeout(ms: number, answers: Readonly<Record<string, TimeoutAnswer>> = {}): RequestHandler {
  const prefixes = Object.entries(answers);
  return (req, res, next) => {
    const timer = setTimeout(() => {
      if (res.headersSent) return;
      const detail = `No answer within ${ms} ms; retry shortly`;
      res.setHeader('Retry-After', '5');
      res.status(503);
      const answer = prefixes.find(([prefix]) => req.originalUrl.startsWith(prefix))?.[1];
      if (answer) {
        answer(res, detail);
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
