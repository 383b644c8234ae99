/**
 * Request ids and JSON access logs, in place of pino-http: pino-http builds a child logger
 * (with redaction) for every request even when nothing is logged, which measured a sixth
 * of a SCIM lookup's CPU. Here a request's logger is made only when something logs
 * through it, and the access line only when its level is enabled. Headers are never
 * logged; secret-bearing query parameters are masked.
 */
import type { IncomingMessage } from 'node:http';
import { SpanKind, context, trace } from '@opentelemetry/api';
import type { RequestHandler, Response } from 'express';
import { ATTR } from '../telemetry/attributes.js';
import { tracer, tracingEnabled } from '../telemetry/tracing.js';
import { redactUrl, type Logger } from '../telemetry/logger.js';
import { requestIdOf } from './request-id.js';
import { recordRequest } from './request-metrics.js';

declare module 'node:http' {
  interface IncomingMessage {
    /** The request id (the caller's X-Request-Id when sane, else a new one). */
    id?: string;
    /** A logger bound to this request's id. */
    log: Logger;
  }
}

const QUIET_PATHS = new Set(['/healthz', '/readyz']);

function bindLogger(req: IncomingMessage, logger: Logger, id: string): void {
  let child: Logger | undefined;
  Object.defineProperty(req, 'log', {
    configurable: true,
    enumerable: false,
    get: () => (child ??= logger.child({ reqId: id })),
  });
}

/** The org and user a request acted for, as the surface that answered it established them. */
function identityOf(res: Response): Record<string, string> {
  const l = res.locals;
  const orgId = l.scim?.scope.orgId ?? l.apiPrincipal?.orgId ?? l.adminCaller?.orgId ?? l.session?.orgId;
  const actor = l.adminCaller?.actor;
  const userId = l.session?.userId ?? (actor?.type === 'user' ? actor.id : null);
  return {
    ...(orgId ? { [ATTR.orgId]: orgId } : {}),
    ...(userId ? { [ATTR.userId]: userId } : {}),
    ...(l.session ? { [ATTR.sessionId]: l.session.id } : {}),
  };
}

export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const id = requestIdOf(req);
    req.id = id;
    res.setHeader('X-Request-Id', id);
    bindLogger(req, logger, id);
    const started = performance.now();
    const span = tracingEnabled()
      ? tracer.startSpan(`HTTP ${req.method}`, {
          kind: SpanKind.SERVER,
          attributes: { 'http.request.method': req.method, 'url.path': req.path, [ATTR.requestId]: id },
        })
      : undefined;
    res.once('finish', () => {
      if (span) {
        span.setAttributes({
          'http.response.status_code': res.statusCode,
          'http.route': req.route
            ? `${res.locals.mount ?? req.baseUrl}${String((req.route as { path: unknown }).path)}`
            : 'unmatched',
          ...identityOf(res),
        });
        span.end();
      }
      recordRequest(
        req,
        res.statusCode,
        res.locals.mount,
        res.locals.scim?.scope.connectionId,
        (performance.now() - started) / 1000,
      );
      if (QUIET_PATHS.has(req.path)) return;
      const status = res.statusCode;
      const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
      if (!logger.isLevelEnabled(level)) return;
      logger[level](
        {
          reqId: id,
          req: { method: req.method, url: redactUrl(req.originalUrl), remoteAddress: req.socket.remoteAddress },
          res: { statusCode: status },
          responseTime: Math.round(performance.now() - started),
          ...identityOf(res),
        },
        'request completed',
      );
    });
    if (span) context.with(trace.setSpan(context.active(), span), next);
    else next();
  };
}

/**
 * The security headers that matter for JSON APIs (SCIM, decisions); the full helmet set
 * (content security policy and the rest) is for pages a browser renders.
 */
export const apiSecurityHeaders: RequestHandler = (_req, res, next) => {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
  next();
};
