/**
 * The admin REST API under /admin/api: the OpenAPI document, the setup-link routes (no
 * credentials yet), then every other route behind admin authentication. Errors are
 * RFC 9457 problem+json.
 */
import { Router } from 'express';
import { boundedJson } from '../http/bounded-json.js';
import { rememberMount } from '../http/request-metrics.js';
import { adminCaller, type CallerDeps } from './caller.js';
import type { AdminApiDeps } from './deps.js';
import { mountRoutes } from './mount.js';
import { openApiDocument } from './openapi.js';
import { problemHandler, problemNotFound } from './problem.js';
import type { AdminRoute } from './route-table.js';
import { accessHistoryRoutes } from './routes/access-history.js';
import { auditRoutes } from './routes/audit.js';
import { connectionRoutes } from './routes/connections.js';
import { directoryRoutes } from './routes/directory.js';
import { directorySyncRoutes } from './routes/directory-sync.js';
import { mappingRoutes } from './routes/mappings.js';
import { policyAndAccessRoutes } from './routes/policy-and-access.js';
import { sessionRoutes } from './routes/session.js';
import { teamRoutes } from './routes/teams.js';
import { tokenRoutes } from './routes/tokens.js';
import { webhookRoutes } from './routes/webhooks.js';

export function adminRoutes(deps: AdminApiDeps): AdminRoute[] {
  return [
    ...sessionRoutes(deps),
    ...connectionRoutes(deps),
    ...directorySyncRoutes(deps),
    ...directoryRoutes(deps),
    ...accessHistoryRoutes(deps),
    ...teamRoutes(deps),
    ...mappingRoutes(deps),
    ...policyAndAccessRoutes(deps),
    ...auditRoutes(deps),
    ...tokenRoutes(deps),
    ...webhookRoutes(deps),
  ];
}

export function adminApiRouter(deps: AdminApiDeps): Router {
  const routes = adminRoutes(deps);
  const document = openApiDocument(routes, deps.publicUrl);
  const callerDeps: CallerDeps = {
    adminTokens: deps.services.adminTokens,
    consoleAccess: deps.services.consoleAccess,
    sessions: deps.services.sessions,
    access: deps.services.access,
    csrf: deps.services.csrf,
    publicUrl: deps.publicUrl,
  };
  const router = Router();
  router.use(rememberMount);
  router.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  const v1 = Router();
  v1.use(rememberMount);
  v1.use(boundedJson({ limit: '2mb', type: ['application/json', 'application/*+json'] }));
  mountRoutes(
    v1,
    routes.filter((r) => r.role === 'none'),
  );
  v1.use(adminCaller(callerDeps));
  mountRoutes(
    v1,
    routes.filter((r) => r.role !== 'none'),
  );
  router.use('/v1', v1);
  router.use(problemNotFound);
  router.use(problemHandler);
  return router;
}
