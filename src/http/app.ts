/**
 * The Express application: request ids, JSON access logs, security headers, body limits,
 * the surface routers, a JSON 404 and the error handler. No business rules here.
 */
import express, { type Express } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import type { Config } from '../config/config.js';
import type { Services } from '../services.js';
import type { Logger } from '../telemetry/logger.js';
import { redactUrl } from '../telemetry/logger.js';
import { errorHandler, notFoundHandler } from './error-handler.js';
import { scimRouter } from '../scim/router.js';
import { healthRouter } from './health.js';
import { accessRouter } from './access-router.js';
import { requestIdOf } from './request-id.js';

export interface AppDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly services: Services;
}

/** Default body limit for JSON surfaces; a surface that needs more (SCIM Bulk) sets its own. */
export const JSON_BODY_LIMIT = '1mb';

export function buildApp({ config, logger, services }: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.set('json spaces', 0);
  // Resources carry their own ETag (from their version column); hashing every other body is wasted work.
  app.set('etag', false);

  app.use(
    pinoHttp({
      logger,
      genReqId: (req, res) => {
        const id = requestIdOf(req);
        res.setHeader('X-Request-Id', id);
        return id;
      },
      serializers: {
        req: (req: { id: unknown; method: string; url: string; remoteAddress?: string }) => ({
          id: req.id,
          method: req.method,
          url: redactUrl(req.url),
          remoteAddress: req.remoteAddress,
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      customLogLevel: (_req, res, err) =>
        err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' },
    }),
  );
  app.use(helmet());
  // SCIM parses its own bodies (its own limit, content types and error shape), so it comes first.
  app.use(
    '/scim/v2',
    scimRouter({
      publicUrl: config.publicUrl,
      tokens: services.scimTokens,
      users: services.users,
      groups: services.groups,
      db: services.store.db,
    }),
  );
  app.use(
    express.json({
      limit: JSON_BODY_LIMIT,
      type: ['application/json', 'application/scim+json', 'application/*+json'],
    }),
  );

  app.use('/v1/access', accessRouter({ tokens: services.adminTokens, access: services.access }));
  app.use(healthRouter(services.store.db));

  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
