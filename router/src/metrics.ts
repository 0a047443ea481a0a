import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RouterContext } from './context.js';

/** Operation names become a label only while there are few of them and they look like names. */
const MAX_OPERATION_LABELS = 200;
const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * The router's Prometheus metrics (prom-client), served on a port of their own (ROUTER_METRICS_PORT), never on
 * the public one: requests and their latency by operation name, errors by code, each subgraph fetch's latency
 * and failures, and the fetch cache's parts by subgraph and result.
 */
export function createRouterMetrics() {
  const registry = new Registry();
  const registers = [registry];
  const requests = new Histogram({
    name: 'router_request_duration_seconds',
    help: 'GraphQL requests to the router (the _count is the number of requests), by operation name',
    labelNames: ['operation'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const errors = new Counter({
    name: 'router_errors_total',
    help: 'Errors in the router’s answers, by extensions.code',
    labelNames: ['code'] as const,
    registers,
  });
  const fetches = new Histogram({
    name: 'router_subgraph_fetch_duration_seconds',
    help: 'Fetches from the router to each subgraph, retries included',
    labelNames: ['subgraph'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  });
  const fetchFailures = new Counter({
    name: 'router_subgraph_fetch_failures_total',
    help: 'Subgraph fetches that got no answer (unreachable, timed out), by subgraph',
    labelNames: ['subgraph'] as const,
    registers,
  });
  const cacheParts = new Counter({
    name: 'router_cache_parts_total',
    help: 'Parts of subgraph fetches (a root fetch, or one entity) the cache was asked for, by subgraph and result (hit, miss, stale)',
    labelNames: ['subgraph', 'result'] as const,
    registers,
  });
  const responseBytes = new Counter({
    name: 'router_response_bytes_total',
    help: 'Bytes of GraphQL answers, by encoding (br, gzip, identity) and stage: body (as made) and sent (after compression); sent/body is the compression ratio',
    labelNames: ['encoding', 'stage'] as const,
    registers,
  });
  const rateLimited = new Counter({
    name: 'router_rate_limited_total',
    help: 'Requests refused with 429 by the rate limit, by identity kind (user, address)',
    labelNames: ['identity'] as const,
    registers,
  });
  const costs = new Histogram({
    name: 'router_operation_cost',
    help: 'The estimated cost of each operation (demand control), before execution',
    buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000],
    registers,
  });
  const costRejections = new Counter({
    name: 'router_cost_rejections_total',
    help: 'Operations refused before execution because their estimated cost was over the budget',
    registers,
  });
  const reloads = new Counter({
    name: 'router_schema_reloads_total',
    help: 'Supergraph reloads, by result (applied, refused, unchanged)',
    labelNames: ['result'] as const,
    registers,
  });
  const schemaInfo = new Gauge({
    name: 'router_schema_info',
    help: 'The supergraph the router serves now: one series, labelled with its hash (as /ready names it)',
    labelNames: ['hash'] as const,
    registers,
  });
  const operations = new Set<string>();
  const operationLabel = (name: string | null | undefined) => {
    if (!name) return 'anonymous';
    if (!OPERATION_NAME.test(name)) return 'other';
    if (!operations.has(name) && operations.size >= MAX_OPERATION_LABELS) return 'other';
    operations.add(name);
    return name;
  };

  return {
    /** The process's own metrics (CPU, memory, event loop) join these where the router serves them (main.ts). */
    registry,
    plugin: (): ApolloServerPlugin<RouterContext> => ({
      async requestDidStart({ contextValue }) {
        const { pipeline } = contextValue;
        return {
          async willSendResponse({ operationName, request, response }) {
            const operation = operationLabel(operationName ?? request.operationName);
            requests.observe({ operation }, (performance.now() - pipeline.startedAt) / 1000);
            if (response.body.kind !== 'single') return;
            for (const error of response.body.singleResult.errors ?? []) {
              errors.inc({ code: String(error.extensions?.code ?? 'UNKNOWN') });
            }
          },
        };
      },
    }),
    cachePart: (subgraph: string, result: 'hit' | 'miss' | 'stale', parts: number) =>
      cacheParts.inc({ subgraph, result }, parts),
    subgraphFetch: (subgraph: string, seconds: number, answered: boolean) => {
      fetches.observe({ subgraph }, seconds);
      if (!answered) fetchFailures.inc({ subgraph });
    },
    responseBytes: (encoding: string, body: number, sent: number) => {
      responseBytes.inc({ encoding, stage: 'body' }, body);
      responseBytes.inc({ encoding, stage: 'sent' }, sent);
    },
    rateLimited: (identity: 'user' | 'address') => rateLimited.inc({ identity }),
    operationCost: (cost: number, rejected: boolean) => {
      costs.observe(cost);
      if (rejected) costRejections.inc();
    },
    schemaReload: (result: 'applied' | 'refused' | 'unchanged') => reloads.inc({ result }),
    schemaServed: (hash: string) => {
      schemaInfo.reset();
      schemaInfo.set({ hash }, 1);
    },
    handler: async (request: IncomingMessage, response: ServerResponse) => {
      if (new URL(request.url ?? '/', 'http://localhost').pathname !== '/metrics') {
        response.writeHead(404).end();
        return;
      }
      const text = await registry.metrics();
      response.writeHead(200, { 'content-type': registry.contentType });
      response.end(text);
    },
  };
}

export type RouterMetrics = ReturnType<typeof createRouterMetrics>;
