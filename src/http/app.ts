/**
 * The Express application: request ids, JSON access logs, security headers, body limits,
 * the surface routers, a JSON 404 and the error handler. No business rules here.
 */
import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Config } from '../config/config.js';
import type { Services } from '../services.js';
import type { Logger } from '../telemetry/logger.js';
import { errorHandler, notFoundHandler } from './error-handler.js';
import { scimRouter } from '../scim/router.js';
import { healthRouter } from './health.js';
import { metricsRouter } from './metrics-route.js';
import { ssoRouter } from './sso-router.js';
import type { AccessTokenService } from '../sso/access-tokens.js';
import type { OidcLogin } from '../sso/oidc-login.js';
import type { SamlLogin } from '../sso/saml-login.js';
import { accessRouter } from './access-router.js';
import { adminApiRouter } from '../admin-api/router.js';
import { consoleRouter } from './console-router.js';
import { SharedRateLimiter } from '../limits/shared-rate-limiter.js';
import type { SecretBox } from '../sso/secret-box.js';
import type { GuardedFetch } from '../outbound/guarded-fetch.js';
import { apiSecurityHeaders, requestLog } from './request-log.js';
import { requestTimeout } from './request-timeout.js';
import { boundedJson } from './bounded-json.js';

export interface AppDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly services: Services;
  readonly oidc: OidcLogin;
  readonly saml: SamlLogin;
  readonly accessTokens: AccessTokenService;
  readonly box: SecretBox;
  /** Fetches URLs an admin typed. */
  readonly outbound: GuardedFetch;
  /** Keys CSRF tokens of console sessions. */
  readonly sessionSecret: string;
  /** The project folder holding console/static and dist/console; no console without it. */
  readonly consoleRoot?: string | undefined;
}

/** Default body limit for JSON surfaces; a surface that needs more (SCIM Bulk) sets its own. */
export const JSON_BODY_LIMIT = '1mb';

export function buildApp(deps: AppDeps): Express {
  const { config, logger, services, oidc, saml, accessTokens, box, sessionSecret, outbound } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.set('json spaces', 0);
  // Resources carry their own ETag (from their version column); hashing every other body is wasted work.
  app.set('etag', false);

  app.use(requestLog(logger));
  app.use(requestTimeout(config.requestTimeoutMs));
  // JSON APIs first, with the headers that matter to them; they parse their own bodies.
  app.use(
    '/scim/v2',
    apiSecurityHeaders,
    scimRouter({
      publicUrl: config.publicUrl,
      tokens: services.scimTokens,
      users: services.users,
      groups: services.groups,
      limiter: new SharedRateLimiter(services.store.repos.rateLimits, config.scimRateLimit),
      recordError: (orgId, connectionId, error) =>
        services.store.repos.connections.recordScimError(orgId, connectionId, error),
    }),
  );
  const json = boundedJson({
    limit: JSON_BODY_LIMIT,
    type: ['application/json', 'application/scim+json', 'application/*+json'],
  });
  app.use(
    '/v1/access',
    apiSecurityHeaders,
    json,
    accessRouter({ tokens: services.adminTokens, access: services.access, accessTokens }),
  );

  app.use(
    '/admin/api',
    apiSecurityHeaders,
    adminApiRouter({ services, box, publicUrl: config.publicUrl, csrfKey: sessionSecret, outbound }),
  );

  app.use(helmet());
  app.use(json);
  app.use(healthRouter(services.store.db));
  app.use(metricsRouter(config.metricsToken));
  if (deps.consoleRoot) app.use('/admin', consoleRouter(deps.consoleRoot));
  app.use(
    ssoRouter({
      services,
      oidc,
      saml,
      accessTokens,
      publicUrl: config.publicUrl,
      signInLimiter: new SharedRateLimiter(services.store.repos.rateLimits, config.signInRateLimit),
    }),
  );

  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
