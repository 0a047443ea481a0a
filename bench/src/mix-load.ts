/**
 * Closed-loop load with the shop's traffic: `connections` workers, each taking the next visit of the shared
 * sequence and sending its steps one after another with that visit's user's token. Every answer is checked
 * (shop-traffic.ts): reads against the first answer any target gave to the same request, writes by what they
 * must change. Latency per operation, in microseconds resolution.
 */
import type { Operation, Visit } from './shop-traffic.js';

export interface MixResult {
  rps: number;
  requests: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  /** Failed requests, answers with errors, and wrong answers (`wrong` examples below). */
  errors: number;
  wrong: string[];
  by_operation: Partial<
    Record<
      Operation,
      { requests: number; p50_ms: number; p95_ms: number; cache_hit_share: number; cache_partial_share: number }
    >
  >;
  /** Share of answers the target said came wholly from its cache (`x-cache: HIT`), and partly (`PARTIAL`). */
  cache_hit_share: number;
  cache_partial_share: number;
}

/** Reference answers by request, shared by every target of a run. */
export type References = Map<string, string>;

const percentile = (sorted: number[], share: number) =>
  sorted.length === 0
    ? 0
    : Math.round((sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * share))] as number) * 100) / 100;

/** What runs of one target add up to (several rounds of a run are measured into one tally). */
export interface MixTally {
  latencies: number[];
  byOperation: Map<Operation, number[]>;
  wrong: string[];
  errors: number;
  hits: number;
  partial: number;
  /** Per operation: answers wholly and partly from the cache. */
  cacheByOperation: Map<Operation, { hits: number; partial: number }>;
  seconds: number;
}

export const newTally = (): MixTally => ({
  latencies: [],
  byOperation: new Map(),
  wrong: [],
  errors: 0,
  hits: 0,
  partial: 0,
  cacheByOperation: new Map(),
  seconds: 0,
});

export async function runMix(
  options: {
    /** Several: the visits go to each in turn (two targets warmed together on one stream of visits). */
    url: string | readonly string[];
    label: string;
    visits: Visit[];
    /** Where in the sequence to begin (each round goes on where the last one stopped). */
    firstVisit?: number;
    tokens: (user: number) => string;
    references: References;
    /** false: reads are not compared with the reference answers (a target that does not shape them). */
    compare?: boolean;
    connections: number;
    durationSeconds: number;
  },
  tally: MixTally = newTally(),
): Promise<{ tally: MixTally; visitsSent: number; requests: number }> {
  const { latencies, byOperation, wrong } = tally;
  const requestsBefore = latencies.length;
  let nextVisit = options.firstVisit ?? 0;
  const deadline = performance.now() + options.durationSeconds * 1000;
  const started = performance.now();

  async function worker() {
    while (performance.now() < deadline) {
      const index = nextVisit++;
      const visit = options.visits[index % options.visits.length] as Visit;
      const url = typeof options.url === 'string' ? options.url : (options.url[index % options.url.length] as string);
      const pass = Math.floor(index / options.visits.length);
      const memory: Record<string, unknown> = {};
      let previous: unknown = null;
      for (const step of visit.steps) {
        const variables = step.variables(previous);
        if (!variables) break;
        if (typeof variables.key === 'string') variables.key = `${options.label}-${pass}-${variables.key}`;
        // As a browser asks: a router that compresses answers compressed (fetch decodes them).
        const headers: Record<string, string> = { 'content-type': 'application/json', 'accept-encoding': 'br, gzip' };
        if (visit.user !== null) headers.authorization = `Bearer ${options.tokens(visit.user)}`;
        const body = JSON.stringify({ query: step.query, variables });
        const sent = performance.now();
        let text: string;
        let status: number;
        let cache: string | null;
        try {
          const response = await fetch(url, { method: 'POST', headers, body });
          text = await response.text();
          status = response.status;
          cache = response.headers.get('x-cache');
        } catch (error) {
          tally.errors++;
          note(`${step.operation}: ${(error as Error).message}`);
          break;
        }
        const elapsed = performance.now() - sent;
        latencies.push(elapsed);
        const own = byOperation.get(step.operation) ?? [];
        byOperation.set(step.operation, own);
        own.push(elapsed);
        const cached = tally.cacheByOperation.get(step.operation) ?? { hits: 0, partial: 0 };
        tally.cacheByOperation.set(step.operation, cached);
        if (cache === 'HIT') {
          tally.hits++;
          cached.hits++;
        } else if (cache === 'PARTIAL') {
          tally.partial++;
          cached.partial++;
        }
        const answer = parse(text);
        if (status !== 200 || !answer || answer.errors || !answer.data) {
          tally.errors++;
          note(`${step.operation} ${body}: HTTP ${status} ${text.slice(0, 300)}`);
          break;
        }
        if (step.compared && options.compare !== false) {
          const key = `${visit.user ?? ''}\n${body}`;
          // Cursors are opaque and signed per deployment: the baseline's own subgraphs issue other ones.
          const data = JSON.stringify(answer.data, (name, value) => (/cursor$/i.test(name) ? 'cursor' : value));
          const reference = options.references.get(key);
          if (reference === undefined) options.references.set(key, data);
          else if (reference !== data) {
            tally.errors++;
            note(`${step.operation} ${body}: differs from the reference answer`);
          }
        }
        const problem = step.check?.(answer.data, memory);
        if (problem) {
          tally.errors++;
          note(`${step.operation}: ${problem}`);
        }
        previous = answer.data;
      }
    }
  }

  function note(message: string) {
    if (wrong.length < 10) wrong.push(message);
  }

  await Promise.all(Array.from({ length: options.connections }, worker));
  tally.seconds += (performance.now() - started) / 1000;
  return { tally, visitsSent: nextVisit - (options.firstVisit ?? 0), requests: latencies.length - requestsBefore };
}

export function summariseMix(tally: MixTally): MixResult {
  const latencies = [...tally.latencies].sort((a, b) => a - b);
  return {
    rps: tally.seconds > 0 ? Math.round((latencies.length / tally.seconds) * 10) / 10 : 0,
    requests: latencies.length,
    p50_ms: percentile(latencies, 0.5),
    p95_ms: percentile(latencies, 0.95),
    p99_ms: percentile(latencies, 0.99),
    errors: tally.errors,
    wrong: tally.wrong,
    by_operation: Object.fromEntries(
      [...tally.byOperation].map(([operation, values]) => {
        const sorted = [...values].sort((a, b) => a - b);
        const cached = tally.cacheByOperation.get(operation) ?? { hits: 0, partial: 0 };
        return [
          operation,
          {
            requests: sorted.length,
            p50_ms: percentile(sorted, 0.5),
            p95_ms: percentile(sorted, 0.95),
            cache_hit_share: share(cached.hits, sorted.length),
            cache_partial_share: share(cached.partial, sorted.length),
          },
        ];
      }),
    ),
    cache_hit_share: share(tally.hits, latencies.length),
    cache_partial_share: share(tally.partial, latencies.length),
  };
}

const share = (part: number, all: number) => (all > 0 ? Math.round((part / all) * 1000) / 1000 : 0);

function parse(text: string): { data?: unknown; errors?: unknown } | null {
  try {
    return JSON.parse(text) as { data?: unknown; errors?: unknown };
  } catch {
    return null;
  }
}
