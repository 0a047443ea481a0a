/** Requests and load against one target: a checked single request, the SQL count pass, autocannon runs. */
import autocannon from 'autocannon';
import type { BenchQuery } from './queries.js';

export interface Request {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export function requestFor(url: string, query: BenchQuery, token: string | undefined, variables = query.variables) {
  return {
    url,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query: query.query, variables }),
  } satisfies Request;
}

/** Sends one request; returns its body text when it answered 200 with data and no errors. */
export async function send(request: Request): Promise<string> {
  const response = await fetch(request.url, { method: 'POST', headers: request.headers, body: request.body });
  const text = await response.text();
  const body = JSON.parse(text) as { data?: unknown; errors?: { message: string }[] };
  if (response.status !== 200 || body.errors || !body.data) {
    throw new Error(`HTTP ${response.status}: ${body.errors?.map((error) => error.message).join('; ') ?? text}`);
  }
  return text;
}

export interface LoadResult {
  rps: number;
  p50_ms: number;
  p99_ms: number;
  requests: number;
  /** Connection errors, timeouts, non-2xx answers and answers whose body differed from the checked one. */
  errors: number;
}

export async function runLoad(
  request: Request,
  options: { connections: number; durationSeconds: number; expectBody: string },
): Promise<LoadResult> {
  const result = await autocannon({
    url: request.url,
    method: 'POST',
    headers: request.headers,
    body: request.body,
    connections: options.connections,
    duration: options.durationSeconds,
    expectBody: options.expectBody,
    timeout: 10,
  });
  return {
    rps: round(result.requests.average),
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
    requests: result.requests.total,
    errors: result.errors + result.timeouts + result.non2xx + result.mismatches,
  };
}

export const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

/**
 * Latency without load: `rounds` times, one request to each target in turn, never two at once; each answer
 * compared with that target's checked one (null: the target failed its check, every answer counts as an
 * error). Microsecond resolution, unlike autocannon's whole milliseconds.
 */
export async function roundRobinLatencies(requests: Request[], expected: (string | null)[], rounds: number) {
  const latencies = requests.map(() => [] as number[]);
  const errors = requests.map(() => 0);
  for (let pass = 0; pass < rounds; pass++) {
    for (const [index, request] of requests.entries()) {
      const started = performance.now();
      const response = await fetch(request.url, { method: 'POST', headers: request.headers, body: request.body });
      const text = await response.text();
      latencies[index]?.push(performance.now() - started);
      if (response.status !== 200 || text !== expected[index]) errors[index] = (errors[index] ?? 0) + 1;
    }
  }
  return latencies.map((measured, index) => {
    measured.sort((a, b) => a - b);
    return { p50_ms: round(measured[Math.floor(measured.length / 2)] ?? 0, 2), errors: errors[index] ?? 0 };
  });
}
