/**
 * Google's refusals in words an admin can act on. Token endpoint errors come from
 * google-auth-library as GaxiosErrors carrying Google's `error` and `error_description`;
 * Directory API errors carry `{ error: { code, message, errors: [{ reason }] } }`.
 */
import { DirectorySourceError } from '../domain/errors/index.js';

export interface GoogleFailure {
  readonly status: number | undefined;
  /** `error` of a token response, or the first `reason` of an API error. */
  readonly reason: string | undefined;
  readonly message: string;
  /** Seconds from a Retry-After header, when Google sent one. */
  readonly retryAfterSeconds: number | undefined;
  /** True for the token endpoint's answers. */
  readonly fromTokenEndpoint: boolean;
}

/** What a thrown error says about Google's answer (or a network failure, status undefined). */
export function googleFailureOf(error: unknown): GoogleFailure {
  const e = error as {
    status?: unknown;
    response?: { status?: number; data?: unknown; headers?: { get?(name: string): string | null } };
    config?: { url?: unknown };
    message?: string;
  };
  const status = e.response?.status ?? (typeof e.status === 'number' ? e.status : undefined);
  const data = e.response?.data as
    | { error?: string | { message?: string; errors?: Array<{ reason?: string }> }; error_description?: string }
    | undefined;
  const tokenError = typeof data?.error === 'string' ? data.error : undefined;
  const apiError = typeof data?.error === 'object' ? data.error : undefined;
  const retryAfter = Number(e.response?.headers?.get?.('retry-after'));
  return {
    status,
    reason: tokenError ?? apiError?.errors?.[0]?.reason,
    message: data?.error_description ?? apiError?.message ?? e.message ?? String(error),
    retryAfterSeconds: Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : undefined,
    fromTokenEndpoint: tokenError !== undefined,
  };
}

/** 429, 5xx and network failures are worth another try; Google's refusals are not. */
export function isRetryable(f: GoogleFailure): boolean {
  return f.status === undefined || f.status === 429 || f.status >= 500 || f.reason === 'rateLimitExceeded';
}

export interface FailureContext {
  /** The service account's client email, or the OAuth client id. */
  readonly client: string;
  /** The admin the service account acts as, when it is one. */
  readonly subject: string | undefined;
  /** Scopes delegation refuses, when they could be told apart. */
  readonly refusedScopes?: readonly string[];
}

export function describeFailure(f: GoogleFailure, ctx: FailureContext): DirectorySourceError {
  if (f.fromTokenEndpoint && f.reason === 'unauthorized_client') {
    const scopes = ctx.refusedScopes?.length ? ctx.refusedScopes.join(', ') : 'the directory scopes';
    return new DirectorySourceError(
      'sync.delegation_missing_scope',
      `Domain-wide delegation for ${ctx.client} lacks scope ${scopes}: in the Google Admin console, Security > ` +
        'Access and data control > API controls > Domain-wide delegation, give the client ID exactly the scopes listed in the settings',
    );
  }
  if (f.fromTokenEndpoint && f.reason === 'invalid_grant') {
    return new DirectorySourceError(
      'sync.invalid_grant',
      `Google refused the credentials of ${ctx.client} (${f.message}): the key or refresh token may be revoked or expired, ` +
        'or this server clock is wrong',
    );
  }
  if (f.fromTokenEndpoint) {
    return new DirectorySourceError('sync.token_refused', `Google refused a token for ${ctx.client}: ${f.message}`);
  }
  if (f.status === 401) {
    return new DirectorySourceError('sync.unauthenticated', `Google did not accept the credentials of ${ctx.client}`);
  }
  if (f.status === 403 && f.reason === 'accessNotConfigured') {
    return new DirectorySourceError(
      'sync.api_disabled',
      `The Admin SDK API is not enabled in the Google Cloud project of ${ctx.client}: in the Google Cloud console, ` +
        'APIs & Services > Library > Admin SDK API > Enable, then wait a few minutes',
    );
  }
  if (f.status === 403 && f.reason === 'insufficientPermissions') {
    return new DirectorySourceError(
      'sync.insufficient_scopes',
      `The token for ${ctx.client} lacks a directory scope: grant the read-only user, group and member scopes`,
    );
  }
  if (f.status === 403) {
    return new DirectorySourceError(
      'sync.not_admin',
      `${ctx.subject ?? 'The account the sync acts as'} may not read the directory (${f.message}): ` +
        'act as a super admin, or an admin whose role can read users and groups',
    );
  }
  if (f.status === 400 || f.status === 404) {
    return new DirectorySourceError('sync.bad_request', `Google's Directory API refused the request: ${f.message}`);
  }
  return new DirectorySourceError(
    'sync.google_unavailable',
    `Google's Directory API did not answer after several tries (${f.status ?? 'network'}: ${f.message}); the next run tries again`,
    true,
  );
}
