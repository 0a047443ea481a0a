import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import type { Logger } from '@shop/platform';
import type { ChangesPage } from '@shop/subgraph-runtime';

/**
 * Follows every subgraph's committed changes (`GET /changes?since=`, README: "Cache") and hands their tags to
 * the cache to drop. Each subgraph is read every `intervalMs`, and at once after a mutation (`catchUp`), so the
 * mutation's answer leaves only after what it changed, here and in other subgraphs, was dropped.
 *
 * Where a replica is in each subgraph's change log is kept by `positions` (in Redis when the cache is shared,
 * so a replica that starts continues where the shared cache stands). Whatever the feed cannot vouch for (a
 * first start with a shared cache and no position, a change log it does not know, changes it missed) it
 * reports with `lostTrack`, and the cache drops everything it holds from that subgraph.
 */
export interface ChangeFeedOptions {
  urls: Record<string, string>;
  internalToken: string;
  intervalMs: number;
  timeoutMs: number;
  positions: PositionStore;
  drop: (tags: string[]) => Promise<void>;
  lostTrack: (subgraph: string) => Promise<void>;
  log: Logger;
}

/** A change-log position: the log's epoch and where the next read starts. */
export interface Position {
  epoch: string;
  position: string;
}

export interface PositionStore {
  /** Null: unknown (a cache that may hold entries from before must drop them). Undefined: nothing to vouch for. */
  get(subgraph: string): Promise<Position | null | undefined>;
  set(subgraph: string, position: Position): Promise<void>;
}

/** A memory cache starts empty: it has nothing to vouch for, so it starts at the present. */
export const freshPositions: PositionStore = { get: async () => undefined, set: async () => undefined };

export function createChangeFeed(options: ChangeFeedOptions) {
  const followers = Object.entries(options.urls).map(([name, url]) => follow(name, new URL('/changes', url)));
  const timer = setInterval(() => {
    for (const follower of followers) void follower.readSoon();
  }, options.intervalMs);
  timer.unref();

  function follow(subgraph: string, url: URL) {
    let at: Position | null | undefined;
    let loaded = false;
    let failing = false;
    let running: Promise<void> | null = null;
    let queued: Promise<void> | null = null;

    async function read(): Promise<void> {
      if (!loaded) {
        at = await options.positions.get(subgraph);
        loaded = true;
      }
      const since = at ? `?since=${at.position}` : '';
      const response = await fetch(`${url}${since}`, {
        headers: { 'x-internal-token': options.internalToken },
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      if (!response.ok) throw new Error(`${subgraph} answered ${response.status} to GET /changes`);
      const page = (await response.json()) as ChangesPage;
      if (at === null || (at && (at.epoch !== page.epoch || !page.complete))) {
        options.log.info({ subgraph }, 'cache: lost track of changes; dropping what this subgraph answered');
        await options.lostTrack(subgraph);
      } else if (page.tags.length > 0) {
        await options.drop(page.tags);
      }
      const next = { epoch: page.epoch, position: page.position };
      if (next.epoch !== at?.epoch || next.position !== at.position) await options.positions.set(subgraph, next);
      at = next;
      if (failing) options.log.info({ subgraph }, 'cache: reading changes again');
      failing = false;
    }

    /** One read at a time; a read asked for while one runs starts after it (it may miss what was just committed). */
    function readSoon(): Promise<void> {
      if (queued) return queued;
      const start = () =>
        (running = context
          .with(ROOT_CONTEXT, read)
          .catch((error: unknown) => {
            if (!failing) options.log.warn({ err: error, subgraph }, 'cache: cannot read changes; retrying');
            failing = true;
          })
          .finally(() => {
            running = null;
          }));
      if (!running) return start();
      queued = running.then(() => {
        queued = null;
        return start();
      });
      return queued;
    }
    return { readSoon };
  }

  return {
    /** Reads every subgraph's changes now (after a mutation), resolving once they are dropped. */
    catchUp: () => Promise.all(followers.map((follower) => follower.readSoon())).then(() => undefined),
    stop: () => clearInterval(timer),
  };
}
