/**
 * A request still unanswered after REQUEST_TIMEOUT_MS gets an answer worded as its surface
 * words errors (SCIM's error body under /scim/, given by the app's assembly). The work
 * behind it is not cancelled: a write still commits or rolls back as a whole. So a read gets
 * 503 with Retry-After, but a write gets 504: a 503 says nothing was applied, and this one
 * may still be (statements have their own, shorter deadline, so this fires only when a
 * write waited long for a connection or ran several slow statements). Whatever the late
 * handler then sends is dropped.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';

/** Sends the deadline's answer body (its status, and Retry-After on a 503, are set) as one surface words its errors. */
export type TimeoutAnswer = (res: ServerResponse, detail: string, requestId: string) => void;

function silence(res: ServerResponse): void {
  // The answer has gone: make the late handler's writes no-ops instead of errors.
  const noop = function (this: ServerResponse): ServerResponse {
    return res;
  };
  for (const method of ['status', 'set', 'setHeader', 'type', 'json', 'send', 'end', 'append'] as const) {
    (res as unknown as Record<string, unknown>)[method] = noop;
  }
}

/** A JSON body of the given text, written with Node's own response methods. */
export function writeJson(res: ServerResponse, contentType: string, text: string): void {
  res.setHeader('Content-Type', `${contentType}; charset=utf-8`);
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

/** The JSON error most surfaces answer a request that ran past its deadline with. */
export const jsonTimeoutAnswer: TimeoutAnswer = (res, detail, requestId) =>
  writeJson(
    res,
    'application/json',
    JSON.stringify({ error: { code: 'request.timeout', message: detail, requestId } }),
  );

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Arms the deadline of one request: past `ms` without an answer, `answer` words the 503 (a write's 504). */
export function armDeadline(req: IncomingMessage, res: ServerResponse, ms: number, answer: TimeoutAnswer): void {
  const timer = setTimeout(() => {
    if (res.headersSent) return;
    if (READS.has(req.method ?? 'GET')) {
      res.setHeader('Retry-After', '5');
      res.statusCode = 503;
      answer(res, `No answer within ${ms} ms; retry shortly`, String(req.id ?? ''));
    } else {
      res.statusCode = 504;
      answer(
        res,
        `No answer within ${ms} ms: the change may still be applied; read it before retrying`,
        String(req.id ?? ''),
      );
    }
    silence(res);
  }, ms);
  timer.unref();
  const clear = (): void => clearTimeout(timer);
  res.once('finish', clear);
  res.once('close', clear);
}

/** `answers`: path prefix → how that surface words the deadline's answer; every other path gets a JSON error. */
export function requestTimeout(ms: number, answers: Readonly<Record<string, TimeoutAnswer>> = {}): RequestHandler {
  const prefixes = Object.entries(answers);
  return (req, res, next) => {
    const answer = prefixes.find(([prefix]) => req.originalUrl.startsWith(prefix))?.[1] ?? jsonTimeoutAnswer;
    armDeadline(req, res, ms, answer);
    next();
  };
}
