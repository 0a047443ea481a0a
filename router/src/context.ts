import type { Viewer } from '@shop/platform';
import type { LaterPayload } from './executor/incremental-delivery.js';
import type { HeaderPropagation } from './header-propagation.js';

/**
 * One request's state as it passes through the router: who asks, and what each step decided or measured for
 * the steps after it (never headers set by one plugin and read back by another).
 */
export interface RouterContext {
  requestId: string;
  /** Verified before planning: a request with a bad token never reaches a subgraph. */
  viewer: Viewer | null;
  authorization: string | undefined;
  pipeline: RequestPipeline;
  /** The client headers PROPAGATE_HEADERS names, as the request sent them; null when none are propagated. */
  propagated?: { settings: HeaderPropagation; taken: Record<string, string> } | null;
}

export interface RequestPipeline {
  /** When the router took the request (performance.now()): the request-duration metric's start. */
  startedAt: number;
  /** The fetch cache's work: parts served from it, parts fetched, parts served stale, the oldest part's age. */
  cache: { hits: number; fetched: number; stale: number; oldestSeconds: number };
  /** The client takes an incremental answer (`Accept: multipart/mixed;deferSpec=20220824`). */
  acceptsIncremental: boolean;
  /** The payloads after the first, when the executor deferred parts of the answer. */
  later: AsyncIterable<LaterPayload> | null;
}

export function newPipeline(acceptsIncremental = false): RequestPipeline {
  return {
    startedAt: performance.now(),
    cache: { hits: 0, fetched: 0, stale: 0, oldestSeconds: 0 },
    acceptsIncremental,
    later: null,
  };
}

/**
 * Whether an Accept header takes the incremental delivery format this router speaks: `multipart/mixed` with
 * `deferSpec=20220824`, or with no deferSpec at all (a client asking for another one gets a whole answer).
 */
export function acceptsIncremental(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((type) => {
    const [media, ...parameters] = type.split(';').map((part) => part.trim().toLowerCase());
    if (media !== 'multipart/mixed') return false;
    const spec = parameters.find((parameter) => parameter.startsWith('deferspec='));
    return spec === undefined || spec === 'deferspec=20220824';
  });
}
