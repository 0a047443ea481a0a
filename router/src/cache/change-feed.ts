import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import type { Logger } from '@shop/platform';
import type { ChangesPage } from '@shop/subgraph-runtime';

/**
 * Follows every subgraph's committed changes (`GET /changes?since=`, README: "Cache") and hands their tags to
 * the cache to drop. Each subgraph is read at `start`, every `intervalMs`, and at once after a mutation (`catchUp`), so the
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
  /** Subgraphs whose change log this replica has read at least once: the cache may serve and keep their fetches. */
  const following = new Set<string>();
  const followers = Object.entries(options.urls).map(([name, url]) => follow(name, new URL('/changes', url)));
  const readAll = () => Promise.all(followers.map((follower) => follower.readSoon())).then(() => undefined);
  let timer: NodeJS.Timeout | undefined;

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
      // Not saved (Redis away): a replica starting later reads from an older position again, which only drops more.
      if (next.epoch !== at?.epoch || next.position !== at.position) {
        await options.positions.set(subgraph, next).catch(() => undefined);
      }
      at = next;
      following.add(subgraph);
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
            // Changes may be committed that this replica cannot see: the cache stops using the subgraph's parts.
            following.delete(subgraph);
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
    catchUp: readAll,
    /**
     * Whether this replica follows the subgraph's changes. Until its first read, a change could slip between a
     * fetch and the position the feed starts at: the cache neither serves nor keeps that subgraph's fetches.
     */
    follows: (subgraph: string) => following.has(subgraph),
    /** Reads every subgraph now and every interval after; resolves after the first reads, or `timeoutMs` anyway. */
    start: (timeoutMs: number) => {
      timer ??= setInterval(readAll, options.intervalMs).unref();
      return Promise.race([readAll(), new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref())]);
    },
    stop: () => clearInterval(timer),
  };
}
