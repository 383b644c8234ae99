/**
 * Turns any thrown error into a JSON response. Never leaks a stack or an internal
 * message: only errors marked `expose` show their text; everything else is a 500 with
 * the request id to quote, and the details go to the log.
 */
import type { IncomingMessage } from 'node:http';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, OutcomeUnknownError, UnavailableError, retryAfterSecondsOf } from '../domain/errors/index.js';
import { isDatabaseUnavailable, isInvalidDataError, isStatementCancelled } from './database-errors.js';

export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly requestId?: string };
}

/** Errors raised by body parsing and other middleware carry `type`/`status`; map them to stable codes. */
export function normaliseError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (isStatementCancelled(error))
    return new UnavailableError('The request ran past its deadline and was stopped; retry shortly');
  if (isDatabaseUnavailable(error)) return new UnavailableError('The database is unavailable; retry shortly');
  if (isInvalidDataError(error))
    return new AppError('request.invalid_value', 'A value is too long or malformed for its attribute', 400);
  const e = error as { type?: string; status?: number; statusCode?: number; expose?: boolean; message?: string } | null;
  switch (e?.type) {
    case 'entity.too.large':
      return new AppError('request.too_large', 'The request body is too large', 413);
    case 'entity.parse.failed':
      return new AppError('request.invalid_json', 'The request body is not valid JSON', 400);
    case 'entity.too.deep':
      return new AppError('request.too_deep', e?.message ?? 'The request body is nested too deeply', 400);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError('request.unsupported_encoding', 'The request body encoding is not supported', 415);
    default:
      break;
  }
  const status = e?.status ?? e?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new AppError('request.invalid', e?.expose && e.message ? e.message : 'Bad request', status);
  }
  return new AppError('internal', 'Internal server error', 500, false);
}

/** Why a request was refused as unavailable (503), for its access line. */
const REFUSAL = Symbol('refusal');

interface RefusedRequest {
  [REFUSAL]?: { readonly message: string; readonly reason: string; readonly code?: string };
}

/**
 * Logs a failed request: a fault (500) at error with its stack. A refusal to retry later
 * (503: the database away or read-only during a failover, a statement stopped at its
 * deadline) is expected and can come by the thousand during a failover: it is not logged
 * here but folded into the request's one access line, at warn (refusalOf). So is a change
 * whose outcome the lost connection left unknown (502, OutcomeUnknownError).
 */
export function logFailure(req: IncomingMessage, status: number, error: unknown, message: string): void {
  const inDoubt = error instanceof OutcomeUnknownError;
  if (status === 503 || inDoubt) {
    const e = (inDoubt ? error.reason : error) as { code?: unknown; message?: unknown } | null;
    (req as IncomingMessage & RefusedRequest)[REFUSAL] = {
      message,
      reason: typeof e?.message === 'string' ? e.message.slice(0, 300) : String(error),
      ...(typeof e?.code === 'string' ? { code: e.code } : {}),
    };
  } else if (status >= 500) {
    req.log?.error({ err: error }, message);
  }
}

/** Why logFailure noted a request answered 503 (or 502, its outcome unknown), if it did. */
export function refusalOf(req: IncomingMessage): RefusedRequest[typeof REFUSAL] {
  return (req as IncomingMessage & RefusedRequest)[REFUSAL];
}

export const notFoundHandler: RequestHandler = (req, res) => {
  res.status(404).json({ error: { code: 'route.not_found', message: `No route for ${req.method} ${req.path}` } });
};

export const errorHandler: ErrorRequestHandler = (error: unknown, req, res, next) => {
  if (res.headersSent) {
    next(error);
    return;
  }
  const appError = normaliseError(error);
  const requestId = String(req.id ?? '');
  logFailure(req, appError.status, error, 'request failed');
  const retryAfter = retryAfterSecondsOf(appError);
  if (retryAfter !== undefined) res.setHeader('Retry-After', String(retryAfter));
  const body: ErrorBody = {
    error: {
      code: appError.code,
      message: appError.expose ? appError.message : 'Internal server error',
      ...(requestId ? { requestId } : {}),
    },
  };
  res.status(appError.status).json(body);
};
