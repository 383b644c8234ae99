/**
 * OpenTelemetry traces, off unless OTEL_EXPORTER_OTLP_ENDPOINT is set. The spans are made
 * here rather than by monkey-patching instrumentations (which need loader hooks for an ES
 * module service): one per HTTP request (request-log middleware), one per SQL query (Knex's
 * query events), one per access recomputation and one per decision, each carrying org.id,
 * user.id, team.id and session.id where known (ATTR). Spans nest through AsyncLocalStorage.
 */
import { INVALID_SPAN_CONTEXT, context, trace, SpanStatusCode, type Attributes, type Span } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace-node';
import type { Knex } from 'knex';

export const tracer = trace.getTracer('identity-bridge');

let enabled = false;

/** Whether spans are recorded (a provider is registered). */
export function tracingEnabled(): boolean {
  return enabled;
}

/** Registers a tracer provider exporting to `processor` (tests pass an in-memory one). */
export function startTracing(processor: SpanProcessor): () => Promise<void> {
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'identity-bridge' }),
    spanProcessors: [processor],
  });
  provider.register();
  enabled = true;
  return async () => {
    enabled = false;
    await provider.shutdown();
    trace.disable();
    context.disable();
  };
}

/** OTLP over HTTP to `endpoint` (the collector's base URL, as OTEL_EXPORTER_OTLP_ENDPOINT names it). */
export function startOtlpTracing(endpoint: string): () => Promise<void> {
  const url = `${endpoint.replace(/\/+$/, '')}/v1/traces`;
  return startTracing(new BatchSpanProcessor(new OTLPTraceExporter({ url })));
}

/** Runs `work` in a span (a no-op when tracing is off). */
export async function inSpan<T>(name: string, attributes: Attributes, work: (span: Span) => Promise<T>): Promise<T> {
  if (!enabled) return work(trace.wrapSpanContext(INVALID_SPAN_CONTEXT));
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** A span per SQL query of this Knex instance (statement text only, never the bound values). */
export function traceQueries(db: Knex): void {
  const open = new Map<string, Span>();
  db.on('query', (q: { __knexQueryUid?: string; sql?: string }) => {
    if (!enabled || !q.__knexQueryUid) return;
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
  const end = (failed: boolean) => (_r: unknown, q: { __knexQueryUid?: string }) => {
    const span = q.__knexQueryUid ? open.get(q.__knexQueryUid) : undefined;
    if (!span) return;
    open.delete(q.__knexQueryUid!);
    if (failed) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  };
  db.on('query-response', end(false));
  db.on('query-error', end(true));
}
