/**
 * SCIM errors (RFC 7644 §3.12): an HTTP status, an optional `scimType`, and a detail that
 * may be shown. `toScimError` maps every other error (domain errors, body-parser errors,
 * database outages) onto one, so no SCIM route ever answers with anything but this shape.
 */
import { AppError, retryAfterSecondsOf } from '../domain/errors/index.js';
import { normaliseError } from '../http/error-handler.js';
import { writeJson, type TimeoutAnswer } from '../http/request-timeout.js';
import { SCIM_CONTENT_TYPE, URN } from './urns.js';

export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive'
  | 'invalidCursor'
  | 'expiredCursor';

export class ScimError extends AppError {
  constructor(
    status: number,
    readonly scimType: ScimType | undefined,
    detail: string,
  ) {
    super(`scim.${scimType ?? status}`, detail, status, true);
  }
}

export interface ScimErrorBody {
  readonly schemas: readonly [typeof URN.error];
  readonly status: string;
  readonly scimType?: ScimType;
  readonly detail: string;
}

const SCIM_TYPE_BY_CODE: Record<string, ScimType> = {
  'directory.user_name_taken': 'uniqueness',
  'directory.external_id_taken': 'uniqueness',
  'request.invalid_json': 'invalidSyntax',
  'request.too_deep': 'invalidSyntax',
  'request.invalid_value': 'invalidValue',
  'directory.value_too_long': 'invalidValue',
  'directory.user_name_required': 'invalidValue',
  'directory.group_name_required': 'invalidValue',
};

export function toScimError(error: unknown): ScimError {
  if (error instanceof ScimError) return error;
  const app = normaliseError(error);
  const scimType = SCIM_TYPE_BY_CODE[app.code];
  const detail = app.expose ? app.message : 'Internal server error';
  const scimError = new ScimError(app.status, scimType, detail);
  return scimError;
}

export function scimErrorBody(error: ScimError): ScimErrorBody {
  return {
    schemas: [URN.error],
    status: String(error.status),
    ...(error.scimType ? { scimType: error.scimType } : {}),
    detail: error.message,
  };
}

export function retryAfterOf(error: unknown): number | undefined {
  return retryAfterSecondsOf(error) ?? retryAfterSecondsOf(normaliseError(error));
}

/** A SCIM request that had no answer in time: an error body of the status set (503, a write's 504). */
export const scimTimeoutAnswer: TimeoutAnswer = (res, detail) =>
  writeJson(res, SCIM_CONTENT_TYPE, JSON.stringify({ schemas: [URN.error], status: String(res.statusCode), detail }));
