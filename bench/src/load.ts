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
 * Latency without load: one request at a time (at most `count`, at most `seconds`), each answer compared
 * with the checked one. Microsecond resolution, unlike autocannon's whole milliseconds.
 */
export async function unloadedLatency(request: Request, expectBody: string, count = 200, seconds = 3) {
  const latencies: number[] = [];
  let errors = 0;
  const deadline = performance.now() + seconds * 1000;
  while (latencies.length < count && performance.now() < deadline) {
    const started = performance.now();
    const response = await fetch(request.url, { method: 'POST', headers: request.headers, body: request.body });
    const text = await response.text();
    latencies.push(performance.now() - started);
    if (response.status !== 200 || text !== expectBody) errors++;
  }
  latencies.sort((a, b) => a - b);
  return { p50_ms: round(latencies[Math.floor(latencies.length / 2)] ?? 0, 2), errors };
}
