import type { IncomingHttpHeaders } from 'node:http';
import { context, propagation, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter as OTLPJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { StartupError } from './startup-error.js';

/**
 * OpenTelemetry tracing, on when the standard OTEL_EXPORTER_OTLP_ENDPOINT (or _TRACES_ENDPOINT) is set: spans go
 * over OTLP/HTTP, protobuf by default or JSON with OTEL_EXPORTER_OTLP_PROTOCOL=http/json, with `service.name`
 * (OTEL_SERVICE_NAME, else the service's own name). The exporter reads the other OTEL_* variables (headers,
 * timeouts; OTEL_BSP_* for batching). Unset, nothing is registered: the API's tracer is a no-op that costs
 * next to nothing. Spans join across services by W3C `traceparent`.
 */
export function startTracing(serviceName: string, env: NodeJS.ProcessEnv = process.env) {
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint || env.OTEL_SDK_DISABLED === 'true') return null;
  const protocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf';
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
    throw new StartupError(`OTEL_EXPORTER_OTLP_PROTOCOL=${protocol} is not supported: use http/protobuf or http/json`);
  }
  const exporter = protocol === 'http/json' ? new OTLPJsonTraceExporter() : new OTLPProtobufTraceExporter();
  const provider = new NodeTracerProvider({
    resource: new Resource({ 'service.name': env.OTEL_SERVICE_NAME ?? serviceName }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  // The global provider, W3C trace context and baggage propagation, and an AsyncLocalStorage context manager.
  provider.register();
  return { provider, shutdown: () => provider.shutdown() };
}

export type Tracing = ReturnType<typeof startTracing>;

const tracer = trace.getTracer('shop-supergraph');

/**
 * Runs `handle` inside a SERVER span for an incoming HTTP request, continuing the caller's trace when its
 * headers carry one. The span is named by method and path; the GraphQL operation renames it (spanOperation).
 */
export async function withServerSpan<T>(
  request: { method?: string | undefined; headers: IncomingHttpHeaders },
  pathname: string,
  requestId: string,
  handle: () => Promise<T>,
): Promise<T> {
  const parent = propagation.extract(ROOT_CONTEXT, request.headers);
  const attributes = {
    'http.request.method': request.method ?? 'GET',
    'url.path': pathname,
    'shop.request_id': requestId,
  };
  const span = tracer.startSpan(
    `${request.method ?? 'GET'} ${pathname}`,
    { kind: SpanKind.SERVER, attributes },
    parent,
  );
  return inSpan(span, () => context.with(trace.setSpan(parent, span), handle));
}

/** Runs `work`, records a failure on `span`, and ends the span either way. */
async function inSpan<T>(span: Span, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR });
    throw error;
  } finally {
    span.end();
  }
}

/**
 * Runs `work` inside a CLIENT span (a call this service makes, e.g. an SQL statement), under the active span.
 * With tracing off the tracer is a no-op and this costs next to nothing.
 */
export async function withClientSpan<T>(
  name: string,
  attributes: Record<string, string>,
  work: () => Promise<T>,
): Promise<T> {
  return tracer.startActiveSpan(name, { kind: SpanKind.CLIENT, attributes }, (span) => inSpan(span, work));
}

/** The response status on the request's span. */
export function recordResponseStatus(status: number): void {
  const span = trace.getActiveSpan();
  span?.setAttribute('http.response.status_code', status);
  if (status >= 500) span?.setStatus({ code: SpanStatusCode.ERROR });
}

/** Names the active request span after its GraphQL operation, e.g. `query MyOrders`. */
export function spanOperation(operation: string | undefined, name: string | null | undefined): void {
  const span: Span | undefined = trace.getActiveSpan();
  if (!span) return;
  span.updateName(`${operation ?? 'graphql'} ${name ?? 'anonymous'}`);
  span.setAttribute('graphql.operation.type', operation ?? 'unknown');
  if (name) span.setAttribute('graphql.operation.name', name);
}

/** Adds the active trace's `traceparent` to headers going to another service. */
export function injectTraceContext(headers: { set(name: string, value: string): unknown }): void {
  propagation.inject(context.active(), headers, { set: (carrier, name, value) => carrier.set(name, value) });
}
