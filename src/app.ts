/**
 * The HTTP application, assembled from the surfaces: SCIM (on Node's request and response),
 * and in Express request ids, JSON access logs, request deadlines, security headers, body
 * limits, then the decision API, the admin API, health and metrics, the console and
 * sign-in, a JSON 404 and the error handler. Each surface gets the services it needs and
 * nothing else. No business rules here.
 */
import type { RequestListener } from 'node:http';
import express from 'express';
import helmet from 'helmet';
import { adminApiRouter } from './admin-api/router.js';
import type { Config } from './config/config.js';
import { accessRouter } from './http/access-router.js';
import { boundedJson } from './http/bounded-json.js';
import { consoleRouter, faviconRoute } from './http/console-router.js';
import { errorHandler, notFoundHandler } from './http/error-handler.js';
import { eventsRouter } from './http/events-router.js';
import { googleNotificationsRouter } from './http/google-notifications.js';
import { healthRouter } from './http/health.js';
import { metricsRouter } from './http/metrics-route.js';
import { apiSecurityHeaders, requestLog } from './http/request-log.js';
import { requestTimeout } from './http/request-timeout.js';
import { ssoRouter } from './http/sso-router.js';
import { isScimUrl, scimSurface } from './scim/surface.js';
import type { Services } from './services.js';
import type { Logger } from './telemetry/logger.js';

export interface AppDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly services: Services;
  /** The project folder holding console/static and dist/console; no console without it. */
  readonly consoleRoot?: string | undefined;
}

/** Default body limit for JSON surfaces; a surface that needs more (SCIM Bulk) sets its own. */
export const JSON_BODY_LIMIT = '1mb';

export function buildApp({ config, logger, services, consoleRoot }: AppDeps): RequestListener {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.set('json spaces', 0);
  // Resources carry their own ETag (from their version column); hashing every other body is wasted work.
  app.set('etag', false);

  app.use(requestLog(logger));
  app.use(requestTimeout(config.requestTimeoutMs));
  // JSON APIs first, with the headers that matter to them; they parse their own bodies.
  const json = boundedJson({
    limit: JSON_BODY_LIMIT,
    type: ['application/json', 'application/scim+json', 'application/*+json'],
  });
  app.use(
    '/v1/access',
    apiSecurityHeaders,
    json,
    accessRouter({ tokens: services.adminTokens, access: services.access, accessTokens: services.accessTokens }),
  );
  app.use('/v1/events', apiSecurityHeaders, eventsRouter({ tokens: services.adminTokens, feed: services.events }));
  app.use('/admin/api', apiSecurityHeaders, adminApiRouter({ services, publicUrl: config.publicUrl }));
  app.use('/google/notifications', apiSecurityHeaders, googleNotificationsRouter(services.directorySync));

  app.use(helmet());
  app.use(json);
  app.use(healthRouter(() => services.pendingMigrations()));
  app.use(metricsRouter(config.metricsToken));
  if (consoleRoot) {
    app.use('/admin', consoleRouter(consoleRoot));
    app.use(faviconRoute(consoleRoot));
  }
  app.use(ssoRouter({ services, publicUrl: config.publicUrl, signInLimiter: services.limits.signIn }));

  app.use(notFoundHandler);
  app.use(errorHandler);

  // SCIM is served on Node's request and response directly (see scim/surface.ts).
  const scim = scimSurface({
    publicUrl: config.publicUrl,
    logger,
    requestTimeoutMs: config.requestTimeoutMs,
    tokens: services.scimTokens,
    users: services.users,
    groups: services.groups,
    limiter: services.limits.scim,
    recordError: (orgId, connectionId, error) => services.connections.recordScimError(orgId, connectionId, error),
  });
  return (req, res) => {
    if (isScimUrl(req.url)) scim(req, res);
    else app(req, res);
  };
}
