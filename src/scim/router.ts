/**
 * The SCIM 2.0 surface at /scim/v2 (Express 5). Routing, body parsing, authentication and
 * error rendering are done here rather than by scimmy-routers, which ignores paging on
 * Express 5, shares resource base paths across concurrent tenants, answers database
 * failures as 404 and parser failures as HTML (see the notes).
 *
 * The bearer token selects the connection and so the org: one mount path serves every
 * tenant, and a request only ever sees its own connection's users and groups.
 * Every response is application/scim+json; every error is an RFC 7644 §3.12 body.
 */
import type { SharedRateLimiter } from '../limits/shared-rate-limiter.js';
import { takeOrRefuse } from '../http/rate-limit.js';
import { rememberMount } from '../http/request-metrics.js';
import { boundedJson } from '../http/bounded-json.js';
import { logFailure } from '../http/error-handler.js';
import { Router, type ErrorRequestHandler, type NextFunction, type Request, type Response } from 'express';
import type { ScimTokenService } from '../admin/scim-tokens.js';
import type { GroupDirectory } from '../directory/group-directory.js';
import type { UserDirectory } from '../directory/user-directory.js';
import { ScimError, retryAfterOf, scimErrorBody, toScimError } from './scim-error.js';
import type { ScimContext, ScimResult } from './handlers/context.js';
import { bulk } from './handlers/bulk.js';
import {
  BULK_MAX_PAYLOAD_BYTES,
  listOf,
  resourceType,
  resourceTypes,
  schemaDocument,
  serviceProviderConfig,
} from './handlers/discovery.js';
import { createGroup, deleteGroup, getGroup, listGroups, patchGroup, replaceGroup } from './handlers/groups.js';
import { rootSearch } from './handlers/root-search.js';
import { createUser, deleteUser, getUser, listUsers, patchUser, replaceUser } from './handlers/users.js';
import { parseListParams } from './list-params.js';
import { parseProjection } from './projection.js';
import { schemaDocuments } from './schemas.js';
import { SCIM_CONTENT_TYPE } from './urns.js';

export interface ScimRouterDeps {
  readonly publicUrl: string;
  readonly tokens: ScimTokenService;
  readonly users: UserDirectory;
  readonly groups: GroupDirectory;
  /** Remembers an error answered to a connection's IdP (its status in the console). */
  /** Per-token budget, shared by every instance. */
  readonly limiter?: SharedRateLimiter;
  readonly recordError?: (
    orgId: string,
    connectionId: string,
    error: { at: string; status: number; method: string; path: string; detail: string },
  ) => Promise<void>;
}

const JSON_TYPES = ['application/scim+json', 'application/json', 'application/*+json'];

declare module 'express-serve-static-core' {
  interface Locals {
    scim?: ScimContext;
  }
}

const SCIM_JSON = `${SCIM_CONTENT_TYPE}; charset=utf-8`;

/**
 * Writes a SCIM result with Node's own response methods: Express's `res.send` (content-type
 * resolution, freshness check, length) was a tenth of a group read's CPU, for headers these
 * responses always know. Conditional requests are answered by the handlers (ETag/version).
 */
function send(res: Response, result: ScimResult): void {
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

function ok(res: Response, body: Record<string, unknown>): void {
  send(res, { status: 200, body });
}

function context(res: Response): ScimContext {
  const ctx = res.locals.scim;
  if (!ctx) throw new ScimError(401, undefined, 'Authentication required');
  return ctx;
}

function preconditions(req: Request): { ifMatch?: string; ifNoneMatch?: string } {
  return {
    ...(req.get('if-match') !== undefined ? { ifMatch: req.get('if-match')! } : {}),
    ...(req.get('if-none-match') !== undefined ? { ifNoneMatch: req.get('if-none-match')! } : {}),
  };
}

function query(req: Request): Record<string, unknown> {
  return req.query as Record<string, unknown>;
}

function projectionOf(source: Record<string, unknown>): ReturnType<typeof parseProjection> {
  const attr = source.attributes;
  const excl = source.excludedAttributes;
  const asList = (v: unknown): string | string[] | undefined =>
    typeof v === 'string' ? v : Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined;
  return parseProjection(asList(attr), asList(excl));
}

export function scimRouter(deps: ScimRouterDeps): Router {
  const baseUrl = `${deps.publicUrl}/scim/v2`;
  const router = Router({ caseSensitive: false });
  router.use(rememberMount);

  router.use(async (req: Request, res: Response, next: NextFunction) => {
    const header = req.get('authorization') ?? '';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) {
      next(new ScimError(401, undefined, 'Missing or malformed Authorization header: expected "Bearer <SCIM token>"'));
      return;
    }
    try {
      const principal = await deps.tokens.authenticate(m[1]!);
      if (deps.limiter) await takeOrRefuse(deps.limiter, 'scim', principal.tokenId);
      res.locals.scim = {
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
      next();
    } catch (error) {
      next(error);
    }
  });

  router.use((req: Request, _res: Response, next: NextFunction) => {
    const hasBody = ['POST', 'PUT', 'PATCH'].includes(req.method);
    if (hasBody && req.headers['content-length'] !== '0' && req.is(JSON_TYPES) === false) {
      next(new ScimError(415, undefined, `Send the body as ${SCIM_CONTENT_TYPE} or application/json`));
      return;
    }
    next();
  });
  router.use(boundedJson({ limit: BULK_MAX_PAYLOAD_BYTES, type: JSON_TYPES, strict: false }));

  router.get('/ServiceProviderConfig', (_req, res) => ok(res, serviceProviderConfig(baseUrl)));
  router.get('/ResourceTypes', (_req, res) => ok(res, listOf(resourceTypes(baseUrl))));
  router.get('/ResourceTypes/:id', (req, res) => ok(res, resourceType(baseUrl, req.params.id!)));
  router.get('/Schemas', (_req, res) => ok(res, listOf(schemaDocuments(baseUrl))));
  router.get('/Schemas/:id', (req, res) => ok(res, schemaDocument(baseUrl, req.params.id!)));

  router.post('/.search', async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    ok(res, await rootSearch(context(res), parseListParams(body), projectionOf(body)));
  });
  router.post('/Bulk', async (req, res) => ok(res, await bulk(context(res), req.body)));

  router.get('/Users', async (req, res) =>
    ok(res, await listUsers(context(res), parseListParams(query(req)), projectionOf(query(req)))),
  );
  router.post('/Users/.search', async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    ok(res, await listUsers(context(res), parseListParams(body), projectionOf(body)));
  });
  router.post('/Users', async (req, res) => send(res, await createUser(context(res), req.body)));
  router.get('/Users/:id', async (req, res) =>
    send(res, await getUser(context(res), req.params.id!, projectionOf(query(req)), preconditions(req))),
  );
  router.put('/Users/:id', async (req, res) =>
    send(res, await replaceUser(context(res), req.params.id!, req.body, preconditions(req))),
  );
  router.patch('/Users/:id', async (req, res) =>
    send(res, await patchUser(context(res), req.params.id!, req.body, preconditions(req))),
  );
  router.delete('/Users/:id', async (req, res) =>
    send(res, await deleteUser(context(res), req.params.id!, preconditions(req))),
  );

  router.get('/Groups', async (req, res) =>
    ok(res, await listGroups(context(res), parseListParams(query(req)), projectionOf(query(req)))),
  );
  router.post('/Groups/.search', async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    ok(res, await listGroups(context(res), parseListParams(body), projectionOf(body)));
  });
  router.post('/Groups', async (req, res) => send(res, await createGroup(context(res), req.body)));
  router.get('/Groups/:id', async (req, res) =>
    send(res, await getGroup(context(res), req.params.id!, projectionOf(query(req)), preconditions(req))),
  );
  router.put('/Groups/:id', async (req, res) =>
    send(res, await replaceGroup(context(res), req.params.id!, req.body, preconditions(req))),
  );
  router.patch('/Groups/:id', async (req, res) => {
    const q = query(req);
    const wantsBody = q.attributes !== undefined || q.excludedAttributes !== undefined;
    send(
      res,
      await patchGroup(
        context(res),
        req.params.id!,
        req.body,
        preconditions(req),
        wantsBody ? projectionOf(q) : undefined,
      ),
    );
  });
  router.delete('/Groups/:id', async (req, res) =>
    send(res, await deleteGroup(context(res), req.params.id!, preconditions(req))),
  );

  router.use((req: Request, _res: Response, next: NextFunction) => {
    next(new ScimError(404, undefined, `No SCIM endpoint ${req.method} ${req.baseUrl}${req.path}`));
  });

  const onError: ErrorRequestHandler = async (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const scimError = toScimError(error);
    logFailure(req, scimError.status, error, 'SCIM request failed');
    if (scimError.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="identity-bridge SCIM"');
    const scope = res.locals.scim?.scope;
    // A 404 is how a lookup says "not there" and a 412 a lost race the IdP retries: not faults.
    if (scope && deps.recordError && ![404, 412].includes(scimError.status) && scimError.status < 503) {
      // Written before answering, so the console shows it as soon as the IdP has it.
      await deps
        .recordError(scope.orgId, scope.connectionId, {
          at: new Date().toISOString(),
          status: scimError.status,
          method: req.method,
          path: `${req.baseUrl}${req.path}`,
          detail: scimErrorBody(scimError).detail ?? '',
        })
        .catch((e: unknown) => req.log?.warn({ err: e }, 'could not record the SCIM error'));
    }
    const retryAfter = retryAfterOf(error);
    if (retryAfter !== undefined) res.setHeader('Retry-After', String(retryAfter));
    res
      .status(scimError.status)
      .type(SCIM_CONTENT_TYPE)
      .send(JSON.stringify(scimErrorBody(scimError)));
  };
  router.use(onError);
  return router;
}
