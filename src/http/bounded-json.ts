/**
 * The JSON body parser of every JSON surface (SCIM, admin API, decisions, sign-in): Express's
 * own, with a byte limit per surface and a nesting bound checked on the raw bytes before
 * parsing. Nothing a client may send needs more than a few levels (a SCIM Bulk request
 * nests about six); a body nested deeper than MAX_JSON_DEPTH is refused as a client error
 * (400, SCIM `invalidSyntax`) before any code walks it, so no walker can overflow its stack.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type RequestHandler } from 'express';

export const MAX_JSON_DEPTH = 32;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The deepest nesting of objects and arrays in a JSON text (strings skipped), stopping past `bound`. */
export function jsonDepth(bytes: Uint8Array, bound = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) {
      inString = true;
    } else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
      if (++depth > deepest) {
        deepest = depth;
        if (deepest > bound) return deepest;
      }
    } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
      depth--;
    }
  }
  return deepest;
}

/** Raised by the parser for a body nested too deeply; the error handlers answer 400. */
export class TooDeepError extends Error {
  readonly status = 400;
  readonly expose = true;
  readonly type = 'entity.too.deep';
  constructor() {
    super(`The request body nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep`);
  }
}

export function boundedJson(options: { limit: string | number; type: string[]; strict?: boolean }): RequestHandler {
  const parse = express.json({
    ...options,
    verify: (_req, _res, buf) => {
      if (jsonDepth(buf, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) throw new TooDeepError();
    },
  });
  // A request without a body (most reads) skips the parser, which would find none after some work.
  return (req, res, next) => {
    if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) next();
    else void parse(req, res, next);
  };
}

/**
 * The same parser for a surface served on Node's own request and response (SCIM): resolves
 * once `req.body` holds the parsed body (undefined when there is none), rejects with the
 * parser's error. The parser reads only Node's request fields, so no Express objects are needed.
 */
export function jsonBodyReader(options: {
  limit: string | number;
  type: string[];
  strict?: boolean;
}): (req: IncomingMessage, res: ServerResponse) => Promise<unknown> {
  const parse = boundedJson(options);
  return (req, res) =>
    new Promise((resolve, reject) => {
      const bodied = req as IncomingMessage & { body?: unknown };
      // The Express types name Express's request; the parser uses only IncomingMessage's fields.
      const next = (error?: unknown): void => (error ? reject(error) : resolve(bodied.body));
      void parse(req as Parameters<RequestHandler>[0], res as Parameters<RequestHandler>[1], next);
    });
}
