/**
 * RFC 9457 problem details for the admin API: `type` names the stable error code, `detail`
 * says what to change, `errors` lists each invalid field. Never a stack, never a 500 for
 * something the caller sent.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { STATUS_CODES } from 'node:http';
import type { z } from 'zod';
import { AppError, retryAfterSecondsOf } from '../domain/errors/index.js';
import { logFailure, normaliseError } from '../http/error-handler.js';

export const PROBLEM_TYPE = 'application/problem+json';

export interface FieldError {
  readonly path: string;
  readonly message: string;
}

/** A request that failed its schema: 400 with each field's problem. */
export class ValidationError extends AppError {
  constructor(
    where: 'path' | 'query' | 'body',
    readonly errors: readonly FieldError[],
  ) {
    super(
      'request.invalid',
      `The request ${where} is invalid: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
      400,
    );
  }
}

export function validationError(where: 'path' | 'query' | 'body', error: z.ZodError): ValidationError {
  return new ValidationError(
    where,
    error.issues.map((i) => ({ path: i.path.map(String).join('.') || where, message: i.message })),
  );
}

export const problemHandler: ErrorRequestHandler = (error: unknown, req, res, next) => {
  if (res.headersSent) {
    next(error);
    return;
  }
  const e = normaliseError(error);
  logFailure(req, e.status, error, 'admin API request failed');
  const retryAfter = retryAfterSecondsOf(e);
  if (retryAfter !== undefined) res.setHeader('Retry-After', String(retryAfter));
  if (e.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="identity-bridge admin"');
  res
    .status(e.status)
    .type(PROBLEM_TYPE)
    .send(
      JSON.stringify({
        type: `urn:identity-bridge:problem:${e.code}`,
        title: STATUS_CODES[e.status] ?? 'Error',
        status: e.status,
        detail: e.expose ? e.message : 'Internal server error',
        code: e.code,
        ...(e instanceof ValidationError ? { errors: e.errors } : {}),
        ...(req.id ? { requestId: String(req.id) } : {}),
      }),
    );
};

export const problemNotFound: RequestHandler = (req, _res, next) => {
  next(new AppError('route.not_found', `No admin API route for ${req.method} ${req.baseUrl}${req.path}`, 404));
};
