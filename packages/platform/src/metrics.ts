import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, collectDefaultMetrics, register } from 'prom-client';

/**
 * Prometheus metrics at GET /metrics on every subgraph (prom-client): the process's defaults (CPU, memory,
 * event-loop lag, GC) and the SQL statements the service sent to its database, which is how the benchmark
 * measures statements per request on separate processes.
 */
/**
 * A counter in the process's registry, or the one already there: in the one development process every service's
 * bundle brings its own copy of this module, and they share the counters (labelled by service).
 */
function counter(name: string, help: string): Counter<'service'> {
  return (
    (register.getSingleMetric(name) as Counter<'service'> | undefined) ??
    new Counter({ name, help, labelNames: ['service'] as const })
  );
}

const sqlStatements = counter(
  'sql_statements_total',
  'SQL statements this service sent to its database to answer requests and run its jobs',
);
const changeLogReads = counter(
  'cache_change_log_reads_total',
  "Reads of this service's change log by the routers' caches (README: \"Cache\"), apart from requests' statements",
);

/**
 * Counts every statement a service's database sends: Prisma's (a client opened with query events, `logQueries`)
 * and its prepared hot reads.
 */
export function countSqlStatements(
  database: { prisma: unknown; reads: { onStatement(listener: (sql: string) => void): void } },
  service: string,
): void {
  const counter = sqlStatements.labels(service);
  const reads = changeLogReads.labels(service);
  // The routers poll the change log several times a second whatever the traffic: counted on their own.
  const count = (sql: string) => (sql.includes('cache_change_log') ? reads.inc() : counter.inc());
  (database.prisma as { $on(event: 'query', listener: (event: { query: string }) => void): void }).$on(
    'query',
    (event) => count(event.query),
  );
  database.reads.onStatement(count);
}

/** Process-wide metrics, once per process (the one development process serves several services). */
export const collectProcessMetrics = () => {
  if (!register.getSingleMetric('process_cpu_user_seconds_total')) collectDefaultMetrics();
};

export async function metricsRoute(_request: IncomingMessage, response: ServerResponse): Promise<void> {
  const text = await register.metrics();
  response.writeHead(200, { 'content-type': register.contentType });
  response.end(text);
}
