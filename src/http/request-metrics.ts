/**
 * Per-request metrics: the surface (by path prefix), the route as Express matched it (its
 * pattern, never the raw path, so ids do not multiply series), method and status; SCIM
 * requests also by connection and resource.
 */
import type { Request, RequestHandler } from 'express';
import type { CountHandle } from '../telemetry/buffered-counter.js';
import { httpDuration, httpRequests, scimOperations } from '../telemetry/metrics.js';

const SURFACES: ReadonlyArray<[string, string]> = [
  ['/scim/', 'scim'],
  ['/v1/', 'decisions'],
  ['/admin/api/', 'admin_api'],
  ['/admin', 'console'],
  ['/sso/', 'sso'],
  ['/auth/', 'sso'],
  ['/login', 'sso'],
  ['/.well-known/', 'sso'],
  ['/metrics', 'metrics'],
  ['/healthz', 'health'],
  ['/readyz', 'health'],
];

const SCIM_RESOURCES = new Set([
  'Users',
  'Groups',
  'Bulk',
  '.search',
  'ServiceProviderConfig',
  'ResourceTypes',
  'Schemas',
]);

function surfaceOf(path: string): string {
  for (const [prefix, surface] of SURFACES) if (path.startsWith(prefix)) return surface;
  return 'other';
}

declare module 'express-serve-static-core' {
  interface Locals {
    /** Where the router that answered is mounted (req.baseUrl is reset once an error leaves it). */
    mount?: string;
  }
}

/** First middleware of a mounted router: remembers its mount path for the route label. */
export const rememberMount: RequestHandler = (req, res, next) => {
  res.locals.mount = req.baseUrl;
  next();
};

/** The route label of a request Express answered: its mount and matched pattern, else "unmatched". */
export function expressRouteOf(req: Request, mount: string | undefined): string {
  const pattern = (req.route as { path?: unknown } | undefined)?.path;
  return typeof pattern === 'string' ? `${mount ?? req.baseUrl}${pattern}` : 'unmatched';
}

interface Series {
  readonly count: CountHandle;
  readonly duration: { observe(value: number): void };
}

/** Each label set's count handle and duration child, made once: prom-client hashes a label set on every call otherwise. */
const series = new Map<string, Series>();
const scimSeries = new Map<string, CountHandle>();

function seriesOf(surface: string, route: string, method: string, status: string): Series {
  const key = `${surface} ${route} ${method} ${status}`;
  let s = series.get(key);
  if (!s) {
    s = {
      count: httpRequests.handle({ surface, route, method, status }),
      duration: httpDuration.labels({ surface, route, method }),
    };
    series.set(key, s);
  }
  return s;
}

/** `url`: the request's URL as received (its query is ignored); `route`: the matched pattern or "unmatched". */
export function recordRequest(
  url: string,
  method: string,
  route: string,
  status: number,
  connectionId: string | undefined,
  seconds: number,
): void {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const surface = surfaceOf(path);
  const s = seriesOf(surface, route, method, String(status));
  s.count.inc();
  s.duration.observe(seconds);
  if (surface === 'scim') {
    const segment = path.split('/')[3] ?? '';
    const resource = SCIM_RESOURCES.has(segment) ? segment : 'other';
    const connection = connectionId ?? 'unauthenticated';
    const key = `${connection} ${method} ${resource} ${status}`;
    let counter = scimSeries.get(key);
    if (!counter) {
      if (scimSeries.size > 10_000) {
        scimSeries.clear();
        scimOperations.forgetHandles();
      }
      counter = scimOperations.handle({ connection, operation: `${method} ${resource}`, result: String(status) });
      scimSeries.set(key, counter);
    }
    counter.inc();
  }
}
