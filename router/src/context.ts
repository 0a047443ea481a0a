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
  /** The response cache's decision: answered from it, computed and offered to it, or not cacheable / off. */
  cache: 'hit' | 'miss' | null;
  /** What the subgraphs said a mutation changed (`extensions.invalidates`), for the response cache. */
  invalidations: Set<string>;
}

export function newPipeline(): RequestPipeline {
  return { startedAt: performance.now(), cache: null, invalidations: new Set() };
}
