import type { ApolloServerPlugin } from '@apollo/server';
import type { Logger, Viewer } from '@shop/platform';
import type { RouterContext } from '../context.js';
import type { CacheHint } from '../executor/subgraph-client.js';
import type { CachedFetch, CacheStore } from './store.js';

/**
 * The router's cache of subgraph fetches (README: "Cache"). The executor asks it per part of a fetch: a root
 * fetch is one part (its variables), an `_entities` fetch one part per distinct representation, so an entity
 * cached by any query serves every other query that needs it. A part is fresh for the max-age its subgraph's
 * `@cacheControl` hints give the answer, or longer (`freshForSeconds`) while the change feed follows that
 * subgraph: PUBLIC parts for everybody, PRIVATE ones under the verified user and role, never shared and never
 * kept for anonymous callers.
 *
 * Each part carries the tags its subgraph said it read; a committed change names tags, and every part carrying
 * one is dropped (change-feed.ts). A part whose fetch started before a drop of one of its tags is neither kept
 * nor served: it may hold what the change replaced.
 */
export interface FetchCacheOptions {
  store: CacheStore;
  /**
   * How long a part stays fresh while the change feed follows its subgraph, when that is longer than its
   * max-age: a part nothing changed since it was fetched is still exact (every committed change drops it).
   */
  freshForSeconds: number;
  /** How long past that a PUBLIC part may still be served while its subgraph is unreachable. */
  staleIfErrorSeconds: number;
  log: Logger;
  onPart: (subgraph: string, result: 'hit' | 'miss' | 'stale', parts: number) => void;
  /**
   * Whether the change feed follows the subgraph: only then are its fetches kept, and served as fresh. (While it
   * does not, a kept PUBLIC part may still stand in for its subgraph when that is unreachable: stale-if-error.)
   */
  follows: (subgraph: string) => boolean;
}

/** A part found in the cache. */
export interface CacheHit {
  /** A fresh copy of the data. */
  data: Record<string, unknown>;
  fresh: boolean;
  /** Usable while the subgraph is unreachable (PUBLIC, not too old). */
  servableStale: boolean;
  ageSeconds: number;
}

/** One request's use of the cache, for the executor. */
export interface RequestCache {
  lookup(subgraph: string, prefix: string, parts: string[]): Promise<(CacheHit | null)[]>;
  /** Keeps a part the subgraph answered (its data as the subgraph sent it, before any merging). */
  store(
    subgraph: string,
    prefix: string,
    part: string,
    data: unknown,
    tags: string[],
    hint: CacheHint,
    fetchedAt: number,
  ): void;
  /** The subgraph was unreachable and a stale part was served in its place. */
  servedStale(subgraph: string): void;
  /** Parts that went to a subgraph. */
  fetched(subgraph: string, parts: number): void;
}

/** Kept after a drop this long: longer than any fetch may take, so a fetch that began before it is recognised. */
const DROP_MEMORY_MS = 120_000;
const SUBGRAPH_TAG = (subgraph: string) => `@subgraph:${subgraph}`;

export function createFetchCache({
  store,
  freshForSeconds,
  staleIfErrorSeconds,
  log,
  onPart,
  follows,
}: FetchCacheOptions) {
  const droppedAt = new Map<string, number>();
  let lastPrune = Date.now();
  let reported = false;
  const failed = (error: unknown, doing: string) => {
    if (!reported) log.warn({ err: (error as Error).message }, `cache: ${doing} failed; fetching uncached`);
    reported = true;
  };

  const droppedSince = (tags: string[], fetchedAt: number) =>
    tags.some((tag) => (droppedAt.get(tag) ?? Number.NEGATIVE_INFINITY) >= fetchedAt);
  /** How long a part is fresh: its max-age, or longer while its subgraph's changes are followed. */
  const freshFor = (entry: Pick<CachedFetch, 'maxAge'>) => Math.max(entry.maxAge, freshForSeconds);
  /** How long from now an entry is kept: while fresh, and for PUBLIC ones the stale-if-error allowance after. */
  const keepSeconds = (entry: Pick<CachedFetch, 'maxAge' | 'scope' | 'fetchedAt'>) =>
    (entry.fetchedAt - Date.now()) / 1000 + freshFor(entry) + (entry.scope === 'PUBLIC' ? staleIfErrorSeconds : 0);

  async function drop(tags: string[]): Promise<void> {
    const now = Date.now();
    for (const tag of tags) droppedAt.set(tag, now);
    if (now - lastPrune > DROP_MEMORY_MS) {
      for (const [tag, at] of droppedAt) if (now - at > DROP_MEMORY_MS) droppedAt.delete(tag);
      lastPrune = now;
    }
    await store.drop(tags).catch((error) => failed(error, 'dropping'));
  }

  function forRequest(
    viewer: Viewer | null,
    pipeline: RouterContext['pipeline'],
    restrict: (hint: CacheHint) => void,
    /** The client headers propagated to a subgraph, which its answers may depend on: part of the keys. */
    varies: (subgraph: string) => string = () => '',
  ): RequestCache {
    const own = viewer ? `u:${viewer.id}:${viewer.role}` : null;
    const keyOf = (scope: string, subgraph: string, prefix: string, part: string) =>
      `${scope}\n${subgraph}\n${varies(subgraph)}${prefix}\n${part}`;
    return {
      async lookup(subgraph, prefix, parts) {
        const vouched = follows(subgraph);
        const keys = parts.flatMap((part) =>
          own
            ? [keyOf('p', subgraph, prefix, part), keyOf(own, subgraph, prefix, part)]
            : [keyOf('p', subgraph, prefix, part)],
        );
        const entries = await store.get(keys).then(
          (found) => {
            reported = false;
            return found;
          },
          (error: unknown) => {
            failed(error, 'reading');
            return [] as (CachedFetch | null)[];
          },
        );
        const now = Date.now();
        const width = own ? 2 : 1;
        return parts.map((_part, index) => {
          const entry = (own ? entries[index * width + 1] : null) ?? entries[index * width] ?? null;
          if (!entry || droppedSince(entry.tags, entry.fetchedAt)) return null;
          const ageSeconds = Math.max(0, (now - entry.fetchedAt) / 1000);
          const fresh = vouched && ageSeconds <= freshFor(entry);
          const hit: CacheHit = {
            data: JSON.parse(entry.data),
            fresh,
            servableStale: entry.scope === 'PUBLIC' && ageSeconds <= freshFor(entry) + staleIfErrorSeconds,
            ageSeconds,
          };
          if (fresh) {
            onPart(subgraph, 'hit', 1);
            pipeline.cache.hits++;
            // Age (for downstream caches, which hear of no change): past its max-age a part counts as used up.
            pipeline.cache.oldestSeconds = Math.max(pipeline.cache.oldestSeconds, Math.min(ageSeconds, entry.maxAge));
            restrict({ maxAge: entry.maxAge, scope: entry.scope });
          }
          return hit;
        });
      },
      store(subgraph, prefix, part, data, tags, hint, fetchedAt) {
        const scope = hint.scope === 'PRIVATE' ? 'PRIVATE' : 'PUBLIC';
        if (hint.maxAge <= 0 || (scope === 'PRIVATE' && !own) || !follows(subgraph)) return;
        const entry: CachedFetch = {
          data: JSON.stringify(data),
          maxAge: hint.maxAge,
          scope,
          fetchedAt,
          tags: [...tags, SUBGRAPH_TAG(subgraph)],
        };
        if (droppedSince(entry.tags, fetchedAt)) return;
        const key = keyOf(scope === 'PUBLIC' ? 'p' : (own as string), subgraph, prefix, part);
        store.set(key, entry, keepSeconds(entry)).catch((error) => failed(error, 'storing'));
      },
      servedStale(subgraph) {
        onPart(subgraph, 'stale', 1);
        pipeline.cache.stale++;
        restrict({ maxAge: 0 });
      },
      fetched(subgraph, parts) {
        onPart(subgraph, 'miss', parts);
        pipeline.cache.fetched += parts;
      },
    };
  }

  return {
    forRequest,
    drop,
    /** Drops everything this subgraph answered: the change feed cannot vouch for it. */
    lostTrack: (subgraph: string) => drop([SUBGRAPH_TAG(subgraph)]),
    keepSeconds,
    close: () => store.close(),
    ready: (timeoutMs: number) => store.ready(timeoutMs),
  };
}

export type FetchCache = ReturnType<typeof createFetchCache>;

/**
 * The cache's answer headers (`x-cache`: HIT when no subgraph was asked, PARTIAL, MISS; `age` of the oldest part
 * served), and a mutation's answer held until every subgraph's changes are read and dropped, so the caller's
 * next read, through this router, shows what the mutation changed.
 */
export function cachePlugin(catchUp: () => Promise<void>): ApolloServerPlugin<RouterContext> {
  return {
    async requestDidStart({ contextValue }) {
      return {
        async willSendResponse({ response, operation }) {
          if (operation?.operation === 'mutation') {
            await catchUp();
            return;
          }
          const { hits, fetched, oldestSeconds } = contextValue.pipeline.cache;
          if (hits + fetched === 0) return;
          response.http.headers.set('x-cache', fetched === 0 ? 'HIT' : hits === 0 ? 'MISS' : 'PARTIAL');
          if (hits > 0) response.http.headers.set('age', String(Math.floor(oldestSeconds)));
        },
      };
    },
  };
}
