/**
 * The database's part of the service's telemetry: a span per SQL statement when tracing is
 * on (the statement text only, never the bound values), and the connection pool's gauges
 * (ib_db_pool_connections).
 */
import { SpanStatusCode, type Span } from '@opentelemetry/api';
import type { Knex } from 'knex';
import { watchPool, type PoolLike } from '../telemetry/metrics.js';
import { tracer, tracingEnabled } from '../telemetry/tracing.js';

interface QueryEvent {
  readonly __knexQueryUid?: string;
  readonly sql?: string;
}

/** A span per statement of this database handle (Knex's query events). */
function traceQueries(db: Knex): void {
  const open = new Map<string, Span>();
  db.on('query', (q: QueryEvent) => {
    if (!tracingEnabled() || !q.__knexQueryUid) return;
    open.set(
      q.__knexQueryUid,
      tracer.startSpan('db.query', {
        attributes: {
          'db.system': db.client.config.client === 'pg' ? 'postgresql' : 'sqlite',
          'db.statement': (q.sql ?? '').slice(0, 2000),
        },
      }),
    );
  });
  const end = (failed: boolean) => (_r: unknown, q: QueryEvent) => {
    const span = q.__knexQueryUid ? open.get(q.__knexQueryUid) : undefined;
    if (!span) return;
    open.delete(q.__knexQueryUid!);
    if (failed) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  };
  db.on('query-response', end(false));
  db.on('query-error', end(true));
}

/** Spans for every statement from now on, and the pool in the gauges until the returned function is called. */
export function instrumentDatabase(db: Knex): () => void {
  traceQueries(db);
  return watchPool((db.client as { pool: PoolLike }).pool);
}
