/**
 * OpenTelemetry traces, off unless OTEL_EXPORTER_OTLP_ENDPOINT is set. The spans are made
 * by the service rather than by monkey-patching instrumentations (which need loader hooks
 * for an ES module service): one per HTTP request (request-log middleware), one per SQL
 * statement (store/query-telemetry.ts), one per access recomputation and one per decision,
 * each carrying org.id, user.id, team.id and session.id where known (ATTR). Spans nest
 * through AsyncLocalStorage.
 */
import { INVALID_SPAN_CONTEXT, context, trace, SpanStatusCode, type Attributes, type Span } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace-node';

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
