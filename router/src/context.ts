import type { Viewer } from '@shop/platform';

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
}

export interface RequestPipeline {
  /** When the router took the request (performance.now()): the request-duration metric's start. */
  startedAt: number;
  /** The fetch cache's work: parts served from it, parts fetched, parts served stale, the oldest part's age. */
  cache: { hits: number; fetched: number; stale: number; oldestSeconds: number };
}

export function newPipeline(): RequestPipeline {
  return { startedAt: performance.now(), cache: { hits: 0, fetched: 0, stale: 0, oldestSeconds: 0 } };
}
