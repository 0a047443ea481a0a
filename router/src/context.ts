import type { Viewer } from '@shop/platform';

export interface RouterContext {
  requestId: string;
  /** Verified before planning: a request with a bad token never reaches a subgraph. */
  viewer: Viewer | null;
  authorization: string | undefined;
  /** What the subgraphs said a mutation changed (`extensions.invalidates`), for the response cache. */
  invalidations: Set<string>;
}
