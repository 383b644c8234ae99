/**
 * Prometheus metrics (prom-client), one registry per process: every server in the process
 * (tests start several) adds to the same series, and `/metrics` shows them all.
 *
 *   ib_http_requests_total / ib_http_request_duration_seconds   {surface, route, method, status}
 *   ib_scim_operations_total                                    {connection, operation, result}
 *   ib_sso_logins_total                                         {protocol, result}
 *   ib_access_decisions_total                                   {result}
 *   ib_access_recompute_seconds                                 {change}
 *   ib_db_pool_connections                                      {state: used|free|pending}
 *   ib_rate_limited_total                                       {limit}
 * plus prom-client's process metrics, among them nodejs_eventloop_lag_seconds.
 */
import client from 'prom-client';
import { BufferedCounter } from './buffered-counter.js';

export const registry = new client.Registry();
client.collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });

export const httpRequests = new BufferedCounter({
  name: 'ib_http_requests_total',
  help: 'HTTP requests answered, by surface, route, method and status',
  labelNames: ['surface', 'route', 'method', 'status'] as const,
  registers: [registry],
});

export const httpDuration = new client.Histogram({
  name: 'ib_http_request_duration_seconds',
  help: 'Time to answer an HTTP request, by surface, route and method',
  labelNames: ['surface', 'route', 'method'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [registry],
});

export const scimOperations = new BufferedCounter({
  name: 'ib_scim_operations_total',
  help: 'SCIM requests by connection, operation (method and resource) and result (HTTP status)',
  labelNames: ['connection', 'operation', 'result'] as const,
  registers: [registry],
});

export const ssoLogins = new client.Counter({
  name: 'ib_sso_logins_total',
  help: 'Employee sign-ins by protocol and result (success or refused)',
  labelNames: ['protocol', 'result'] as const,
  registers: [registry],
});

export const accessDecisions = new client.Counter({
  name: 'ib_access_decisions_total',
  help: 'Access decisions answered, by result (allowed or denied)',
  labelNames: ['result'] as const,
  registers: [registry],
});

export const accessRecompute = new client.Histogram({
  name: 'ib_access_recompute_seconds',
  help: 'Time to bring team memberships in step with a directory or mapping change',
  labelNames: ['change'] as const,
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
  registers: [registry],
});

export const rateLimited = new client.Counter({
  name: 'ib_rate_limited_total',
  help: 'Requests refused with 429, by limit',
  labelNames: ['limit'] as const,
  registers: [registry],
});

/** A connection pool as the store's pool (tarn) exposes it. */
export interface PoolLike {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
}

const pools = new Set<PoolLike>();

new client.Gauge({
  name: 'ib_db_pool_connections',
  help: 'Database pool connections by state (used, free, pending acquires), summed over the pools of this process',
  labelNames: ['state'] as const,
  registers: [registry],
  collect() {
    let used = 0;
    let free = 0;
    let pending = 0;
    for (const p of pools) {
      used += p.numUsed();
      free += p.numFree();
      pending += p.numPendingAcquires();
    }
    this.set({ state: 'used' }, used);
    this.set({ state: 'free' }, free);
    this.set({ state: 'pending' }, pending);
  },
});

/** Reports a pool in ib_db_pool_connections until the returned function is called. */
export function watchPool(pool: PoolLike): () => void {
  pools.add(pool);
  return () => pools.delete(pool);
}

/** Times `work` into a histogram. */
export async function timed<T>(
  histogram: client.Histogram<'change'>,
  change: string,
  work: () => Promise<T>,
): Promise<T> {
  const end = histogram.startTimer({ change });
  try {
    return await work();
  } finally {
    end();
  }
}
