/**
 * The SCIM 2.0 surface at /scim/v2, served on Node's own request and response. Routing,
 * body parsing, authentication and error rendering are done here rather than by
 * scimmy-routers, which ignores paging on Express 5, shares resource base paths across
 * concurrent tenants, answers database failures as 404 and parser failures as HTML (see the
 * notes). Nor does it go through Express: what an IdP sends all day is small requests, and
 * Express's routing, request and response wrappers cost several times the work of a
 * one-row lookup; the surface keeps what they gave (request ids and access log, deadline,
 * metrics, security headers, JSON parsing with its limits) through the same functions the
 * Express surfaces use.
 *
 * The bearer token selects the connection and so the org: one mount path serves every
 * tenant, and a request only ever sees its own connection's users and groups.
 * Every response is application/scim+json; every error is an RFC 7644 §3.12 body.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import querystring from 'node:querystring';
import type { ScimTokenService } from '../admin/scim-tokens.js';
import type { GroupDirectory } from '../directory/group-directory.js';
import type { UserDirectory } from '../directory/user-directory.js';
import { jsonBodyReader } from '../http/bounded-json.js';
import { logFailure } from '../http/error-handler.js';
import { takeOrRefuse } from '../http/rate-limit.js';
import { inSpan, setApiSecurityHeaders, traceRequest } from '../http/request-log.js';
import { armDeadline } from '../http/request-timeout.js';
import type { SharedRateLimiter } from '../limits/shared-rate-limiter.js';
import { ATTR } from '../telemetry/attributes.js';
import type { Logger } from '../telemetry/logger.js';
import type { Preconditions, ScimContext, ScimResult } from './handlers/context.js';
import { BULK_MAX_PAYLOAD_BYTES } from './handlers/discovery.js';
import { findRoute, resourceIdOf, type ScimRoute } from './routes.js';
import { ScimError, retryAfterOf, scimErrorBody, scimTimeoutAnswer, toScimError } from './scim-error.js';
import { SCIM_CONTENT_TYPE } from './urns.js';

export const SCIM_MOUNT = '/scim/v2';

export interface ScimSurfaceDeps {
  readonly publicUrl: string;
  readonly logger: Logger;
  /** A request unanswered after this long gets a 503 SCIM error with Retry-After. */
  readonly requestTimeoutMs: number;
  readonly tokens: ScimTokenService;
  readonly users: UserDirectory;
  readonly groups: GroupDirectory;
  /** Per-token budget, shared by every instance. */
  readonly limiter?: SharedRateLimiter;
  /** Remembers an error answered to a connection's IdP (its status in the console). */
  readonly recordError?: (
    orgId: string,
    connectionId: string,
    error: { at: string; status: number; method: string; path: string; detail: string },
  ) => Promise<void>;
}

const JSON_TYPES = ['application/scim+json', 'application/json', 'application/*+json'];
const SCIM_JSON = `${SCIM_CONTENT_TYPE}; charset=utf-8`;
const BEARER = /^Bearer\s+(\S+)\s*$/i;
const BODIED_METHODS = new Set(['POST', 'PUT', 'PATCH']);
const NO_IDENTITY: Record<string, string> = {};

/** Whether a request URL is for the SCIM surface (the mount matches case-insensitively, as routes do). */
export function isScimUrl(url: string | undefined): boolean {
  if (url === undefined || url.length < SCIM_MOUNT.length) return false;
  const next = url.charCodeAt(SCIM_MOUNT.length);
  // end, '/' or '?'
  if (!(Number.isNaN(next) || next === 0x2f || next === 0x3f)) return false;
  return url.slice(0, SCIM_MOUNT.length).toLowerCase() === SCIM_MOUNT;
}

/** A JSON media type (application/json or any application/*+json), parameters ignored. */
function isJsonType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const semi = contentType.indexOf(';');
  const type = (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || req.headers['content-length'] !== undefined;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

function preconditions(req: IncomingMessage): Preconditions {
  const ifMatch = header(req, 'if-match');
  const ifNoneMatch = header(req, 'if-none-match');
  return {
    ...(ifMatch !== undefined ? { ifMatch } : {}),
    ...(ifNoneMatch !== undefined ? { ifNoneMatch } : {}),
  };
}

/** Writes a result with Node's own response methods: these responses always know their headers. */
function send(res: ServerResponse, result: ScimResult): void {
  if (result.location && result.status === 201) res.setHeader('Location', result.location);
  if (result.etag) res.setHeader('ETag', result.etag);
  res.statusCode = result.status;
  if (result.body === undefined) {
    res.end();
    return;
  }
  const text = JSON.stringify(result.body);
  res.setHeader('Content-Type', SCIM_JSON);
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

/** What one request established, for its error answer and its log line and metrics. */
interface Exchange {
  readonly path: string;
  route: ScimRoute | undefined;
  ctx: ScimContext | undefined;
}

/** The SCIM surface as a Node request listener for URLs under /scim/v2 (see isScimUrl). */
export function scimSurface(deps: ScimSurfaceDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const baseUrl = `${deps.publicUrl}${SCIM_MOUNT}`;
  const readBody = jsonBodyReader({ limit: BULK_MAX_PAYLOAD_BYTES, type: JSON_TYPES, strict: false });

  async function authenticate(req: IncomingMessage): Promise<ScimContext> {
    const m = BEARER.exec(header(req, 'authorization') ?? '');
    if (!m)
      throw new ScimError(401, undefined, 'Missing or malformed Authorization header: expected "Bearer <SCIM token>"');
    const principal = await deps.tokens.authenticate(m[1]!);
    if (deps.limiter) await takeOrRefuse(deps.limiter, 'scim', principal.tokenId);
    return {
      scope: { orgId: principal.orgId, connectionId: principal.connectionId },
      actor: {
        type: 'scim',
        id: principal.tokenId,
        label: `SCIM token of connection ${principal.connectionId}`,
        requestId: String(req.id),
        operation: `SCIM ${req.method}`,
        connectionId: principal.connectionId,
      },
      baseUrl,
      users: deps.users,
      groups: deps.groups,
    };
  }

  async function answer(req: IncomingMessage, res: ServerResponse, x: Exchange, query: string): Promise<void> {
    const method = req.method ?? 'GET';
    const found = findRoute(method, x.path.slice(SCIM_MOUNT.length) || '/');
    x.route = found?.route;
    const ctx = await authenticate(req);
    x.ctx = ctx;
    if (BODIED_METHODS.has(method) && req.headers['content-length'] !== '0' && hasBody(req)) {
      if (!isJsonType(req.headers['content-type'])) {
        throw new ScimError(415, undefined, `Send the body as ${SCIM_CONTENT_TYPE} or application/json`);
      }
    }
    const body = hasBody(req) ? await readBody(req, res) : undefined;
    if (!found) throw new ScimError(404, undefined, `No SCIM endpoint ${method} ${x.path}`);
    const result = await found.route.handle({
      ctx,
      id: resourceIdOf(found.rawId),
      query: query === '' ? {} : querystring.parse(query),
      body,
      preconditions: preconditions(req),
    });
    send(res, result);
  }

  async function fail(req: IncomingMessage, res: ServerResponse, x: Exchange, error: unknown): Promise<void> {
    if (res.headersSent) {
      req.log.error({ err: error }, 'SCIM request failed after its answer had begun');
      res.destroy();
      return;
    }
    const scimError = toScimError(error);
    logFailure(req, scimError.status, error, 'SCIM request failed');
    if (scimError.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="identity-bridge SCIM"');
    const scope = x.ctx?.scope;
    // A 404 is how a lookup says "not there", a 412 a lost race the IdP retries and a 502 a
    // connection lost under a commit: not faults.
    if (scope && deps.recordError && ![404, 412, 502].includes(scimError.status) && scimError.status < 503) {
      // Written before answering, so the console shows it as soon as the IdP has it.
      await deps
        .recordError(scope.orgId, scope.connectionId, {
          at: new Date().toISOString(),
          status: scimError.status,
          method: req.method ?? '',
          path: x.path,
          detail: scimErrorBody(scimError).detail ?? '',
        })
        .catch((e: unknown) => req.log.warn({ err: e }, 'could not record the SCIM error'));
    }
    const retryAfter = retryAfterOf(error);
    if (retryAfter !== undefined) res.setHeader('Retry-After', String(retryAfter));
    send(res, { status: scimError.status, body: { ...scimErrorBody(scimError) } });
  }

  return (req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const x: Exchange = { path: q < 0 ? url : url.slice(0, q), route: undefined, ctx: undefined };
    const span = traceRequest(req, res, deps.logger, x.path, () => ({
      route: x.route ? `${SCIM_MOUNT}${x.route.pattern}` : 'unmatched',
      identity: x.ctx ? { [ATTR.orgId]: x.ctx.scope.orgId } : NO_IDENTITY,
      connectionId: x.ctx?.scope.connectionId,
    }));
    armDeadline(req, res, deps.requestTimeoutMs, scimTimeoutAnswer);
    setApiSecurityHeaders(res);
    inSpan(span, () => {
      answer(req, res, x, q < 0 ? '' : url.slice(q + 1)).catch((error: unknown) =>
        fail(req, res, x, error).catch((e: unknown) => {
          req.log.error({ err: e }, 'could not answer a failed SCIM request');
          res.destroy();
        }),
      );
    });
  };
}
