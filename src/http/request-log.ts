/**
 * Request ids and JSON access logs, in place of pino-http: pino-http builds a child logger
 * (with redaction) for every request even when nothing is logged, which measured a sixth
 * of a SCIM lookup's CPU. Here a request's logger is made only when something logs
 * through it, and the access line only when its level is enabled. Headers are never
 * logged; secret-bearing query parameters are masked.
 */
import { IncomingMessage, type ServerResponse } from 'node:http';
import { SpanKind, context, trace, type Span } from '@opentelemetry/api';
import type { RequestHandler, Response } from 'express';
import { ATTR } from '../telemetry/attributes.js';
import { tracer, tracingEnabled } from '../telemetry/tracing.js';
import { redactUrl, type Logger } from '../telemetry/logger.js';
import { requestIdOf } from './request-id.js';
import { refusalOf } from './error-handler.js';
import { expressRouteOf, recordRequest } from './request-metrics.js';

declare module 'node:http' {
  interface IncomingMessage {
    /** The request id (the caller's X-Request-Id when sane, else a new one). */
    id?: string;
    /** A logger bound to this request's id. */
    log: Logger;
  }
}

const QUIET_PATHS = new Set(['/healthz', '/readyz']);

const BASE_LOGGER = Symbol('base logger');
const CHILD_LOGGER = Symbol('request logger');

interface LoggedRequest {
  [BASE_LOGGER]?: Logger;
  [CHILD_LOGGER]?: Logger;
}

// `req.log` is made on first use, by one getter on the prototype: defining it on every request
// cost a property definition per request and left each request object in a slower shape.
Object.defineProperty(IncomingMessage.prototype, 'log', {
  configurable: true,
  enumerable: false,
  get(this: IncomingMessage & LoggedRequest): Logger | undefined {
    const base = this[BASE_LOGGER];
    if (!base) return undefined;
    return (this[CHILD_LOGGER] ??= base.child({ reqId: this.id }));
  },
});

function bindLogger(req: IncomingMessage, logger: Logger): void {
  (req as IncomingMessage & LoggedRequest)[BASE_LOGGER] = logger;
}

/** The org and user a request acted for, as the surface that answered it established them. */
function identityOf(res: Response): Record<string, string> {
  const l = res.locals;
  const orgId = l.apiPrincipal?.orgId ?? l.adminCaller?.orgId ?? l.session?.orgId;
  const actor = l.adminCaller?.actor;
  const userId = l.session?.userId ?? (actor?.type === 'user' ? actor.id : null);
  return {
    ...(orgId ? { [ATTR.orgId]: orgId } : {}),
    ...(userId ? { [ATTR.userId]: userId } : {}),
    ...(l.session ? { [ATTR.sessionId]: l.session.id } : {}),
  };
}

/** What the surface that answered a request knows of it, read once the answer has gone. */
export interface RequestOutcome {
  /** The matched route pattern with its mount (`/scim/v2/Users/:id`), or "unmatched". */
  readonly route: string;
  /** Trace and log attributes: the org, user and session the request acted for. */
  readonly identity: Record<string, string>;
  /** The SCIM connection that made the request, for the per-connection SCIM metrics. */
  readonly connectionId?: string | undefined;
}

/**
 * One request's id (header and logger), span, and once answered its metrics and access line.
 * `path` is the request's path without its query; `outcome` is read when the answer has gone.
 * Returns the span, for the handler to run in its context.
 */
export function traceRequest(
  req: IncomingMessage,
  res: ServerResponse,
  logger: Logger,
  path: string,
  outcome: () => RequestOutcome,
): Span | undefined {
  const id = requestIdOf(req);
  req.id = id;
  res.setHeader('X-Request-Id', id);
  bindLogger(req, logger);
  const started = performance.now();
  const span = tracingEnabled()
    ? tracer.startSpan(`HTTP ${req.method}`, {
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': req.method, 'url.path': path, [ATTR.requestId]: id },
      })
    : undefined;
  res.once('finish', () => {
    const o = outcome();
    const status = res.statusCode;
    if (span) {
      span.setAttributes({ 'http.response.status_code': status, 'http.route': o.route, ...o.identity });
      span.end();
    }
    const url = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '';
    recordRequest(url, req.method ?? '', o.route, status, o.connectionId, (performance.now() - started) / 1000);
    if (QUIET_PATHS.has(path)) return;
    // A 503 is a refusal to retry later (Retry-After), expected during an outage or failover,
    // and so is a 502 whose change the lost connection left unknown: one line at warn,
    // carrying why. A 500 is a fault: at error (with its own line and stack).
    const noted = status === 503 || status === 502 ? refusalOf(req) : undefined;
    const level = status >= 500 && !noted && status !== 503 ? 'error' : status >= 400 ? 'warn' : 'info';
    if (!logger.isLevelEnabled(level)) return;
    logger[level](
      {
        reqId: id,
        req: { method: req.method, url: redactUrl(url), remoteAddress: req.socket.remoteAddress },
        res: { statusCode: status },
        responseTime: Math.round(performance.now() - started),
        ...o.identity,
        ...(status === 503 ? { refused: noted } : noted ? { outcomeUnknown: noted } : {}),
      },
      'request completed',
    );
  });
  return span;
}

/** Runs `fn` with `span` (when tracing) as the active span. */
export function inSpan(span: Span | undefined, fn: () => void): void {
  if (span) context.with(trace.setSpan(context.active(), span), fn);
  else fn();
}

export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const span = traceRequest(req, res, logger, req.path, () => ({
      route: expressRouteOf(req, res.locals.mount),
      identity: identityOf(res),
    }));
    inSpan(span, next);
  };
}

/**
 * The security headers that matter for JSON APIs (SCIM, decisions); the full helmet set
 * (content security policy and the rest) is for pages a browser renders.
 */
export function setApiSecurityHeaders(res: ServerResponse): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
}

export const apiSecurityHeaders: RequestHandler = (_req, res, next) => {
  setApiSecurityHeaders(res);
  next();
};
