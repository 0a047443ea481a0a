import type { IncomingHttpHeaders } from 'node:http';

/**
 * Which client headers reach which subgraph (README: "Router features"), from `PROPAGATE_HEADERS`: a
 * comma-separated list of `name` (to every subgraph) or `subgraph:name` (to that one). Unset: none, as before;
 * the router always sends the caller's token, its request id and the trace context itself.
 */
export interface HeaderPropagation {
  /** Every header name to take from a request, lower-case. */
  names: string[];
  /** The names each subgraph gets; `*`: every subgraph. */
  bySubgraph: Map<string, string[]>;
}

/** Headers the router sets itself, or that describe one hop only: never copied from a client. */
const RESERVED = new Set([
  'authorization',
  'connection',
  'content-length',
  'content-type',
  'host',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'x-request-id',
  'traceparent',
  'tracestate',
  'accept-encoding',
]);
const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;

/** Parses the setting; throws an Error naming the entry it cannot take. */
export function parseHeaderPropagation(setting: string | undefined): HeaderPropagation {
  const bySubgraph = new Map<string, string[]>();
  for (const entry of (setting ?? '').split(',').map((item) => item.trim().toLowerCase())) {
    if (!entry) continue;
    const [subgraph, name] = entry.includes(':') ? entry.split(':', 2) : ['*', entry];
    if (!subgraph || !name || !HEADER_NAME.test(name)) throw new Error(`"${entry}" is not a header name`);
    if (RESERVED.has(name)) throw new Error(`${name} is set by the router itself and is never propagated`);
    bySubgraph.set(subgraph, [...(bySubgraph.get(subgraph) ?? []), name]);
  }
  const names = [...new Set([...bySubgraph.values()].flat())];
  return { names, bySubgraph };
}

/** The propagated headers a request sent (first value of each), to keep in its context. */
export function propagatedFrom(propagation: HeaderPropagation, headers: IncomingHttpHeaders): Record<string, string> {
  const taken: Record<string, string> = {};
  for (const name of propagation.names) {
    const value = headers[name];
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) taken[name] = first;
  }
  return taken;
}

/** What one subgraph gets of a request's propagated headers. */
export function headersForSubgraph(
  propagation: HeaderPropagation,
  subgraph: string,
  taken: Record<string, string>,
): [string, string][] {
  const names = [...(propagation.bySubgraph.get('*') ?? []), ...(propagation.bySubgraph.get(subgraph) ?? [])];
  return names.flatMap((name) => (taken[name] === undefined ? [] : [[name, taken[name]] as [string, string]]));
}
