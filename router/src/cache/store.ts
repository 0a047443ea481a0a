import type { Logger } from '@shop/platform';
import { Redis, type RedisOptions } from 'ioredis';
import { LRUCache } from 'lru-cache';
import type { Position, PositionStore } from './change-feed.js';

/** One cached subgraph fetch (or one entity of an `_entities` fetch): its data and what it read. */
export interface CachedFetch {
  /** The data as JSON text: each use parses its own copy (the executor merges into what it is given). */
  data: string;
  maxAge: number;
  scope: 'PUBLIC' | 'PRIVATE';
  /** When the fetch that produced it started (ms since the epoch): a change applied later may not be in it. */
  fetchedAt: number;
  tags: string[];
}

/**
 * Where the router's cache keeps fetches, each with the tags of what it read (README: "Cache"). Entries are
 * returned until `keepSeconds` past their max-age (stale-if-error); the caller decides what is fresh. A store
 * that fails (Redis away) throws; the cache then fetches uncached.
 */
export interface CacheStore {
  get(keys: string[]): Promise<(CachedFetch | null)[]>;
  set(key: string, entry: CachedFetch, keepSeconds: number): Promise<void>;
  /** Drops every entry carrying one of these tags. */
  drop(tags: Iterable<string>): Promise<void>;
  /** Resolves once usable (at once in memory; Redis connected), or after `timeoutMs` anyway. */
  ready(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export function memoryStore(maxEntries: number): CacheStore {
  const byTag = new Map<string, Set<string>>();
  const entries = new LRUCache<string, CachedFetch>({
    max: maxEntries,
    // An evicted or expired entry leaves its tags' indexes, so they do not grow without bound.
    dispose: (entry, key) => {
      for (const tag of entry.tags) {
        const keys = byTag.get(tag);
        keys?.delete(key);
        if (keys?.size === 0) byTag.delete(tag);
      }
    },
  });
  return {
    get: async (keys) => keys.map((key) => entries.get(key) ?? null),
    set: async (key, entry, keepSeconds) => {
      entries.set(key, entry, { ttl: keepSeconds * 1000 });
      for (const tag of entry.tags) {
        const keys = byTag.get(tag) ?? new Set<string>();
        byTag.set(tag, keys.add(key));
      }
    },
    drop: async (tags) => {
      for (const tag of tags) for (const key of [...(byTag.get(tag) ?? [])]) entries.delete(key);
    },
    ready: async () => undefined,
    close: async () => entries.clear(),
  };
}

/**
 * Redis, shared by every router replica: each entry under `<prefix>f:<key>` with a TTL, each tag a set
 * `<prefix>t:<tag>` of entry keys, expiring with its longest-lived entry. Commands fail at once while Redis is
 * away (no offline queue, short timeouts), so a request never waits for it. A drop that could not be sent
 * leaves stale entries behind, so when Redis is back every entry under the prefix is dropped before use.
 */
/**
 * A Redis client that never makes a request wait for Redis: no queue while it is away, no retries, a short
 * timeout, reconnecting in the background. The cache and the rate limit fall back to memory meanwhile.
 */
export const FAIL_FAST: RedisOptions = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  commandTimeout: 250,
  connectTimeout: 1000,
  retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
};

export function redisStore(url: string, prefix: string, log: Logger): CacheStore & { positions: PositionStore } {
  let missedDrop = false;
  let reported = false;
  const redis = new Redis(url, FAIL_FAST);
  redis.on('error', (error: Error) => {
    if (!reported) log.warn({ err: error.message }, 'cache: Redis unavailable; fetching uncached');
    reported = true;
  });
  redis.on('ready', () => {
    if (reported) log.info('cache: Redis is back');
    reported = false;
    if (missedDrop) void dropEverything();
  });

  const entryKey = (key: string) => `${prefix}f:${key}`;
  const tagKey = (tag: string) => `${prefix}t:${tag}`;
  const usable = () => redis.status === 'ready' && !missedDrop;

  async function dropEverything() {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
    missedDrop = false;
    log.info('cache: dropped every entry kept while a drop could not reach Redis');
  }

  const positionKey = (subgraph: string) => `${prefix}changes:${subgraph}`;
  return {
    /**
     * Where the shared cache stands in each subgraph's change log, written by whichever replica read last. None
     * (or Redis away): the entries of that subgraph cannot be vouched for.
     */
    positions: {
      get: async (subgraph) => {
        const value = await redis.get(positionKey(subgraph)).catch(() => null);
        return value ? (JSON.parse(value) as Position) : null;
      },
      set: async (subgraph, position) => {
        await redis.set(positionKey(subgraph), JSON.stringify(position));
      },
    },
    get: async (keys) => {
      if (!usable()) throw new Error('Redis is not available');
      const values = await redis.mget(...keys.map(entryKey));
      return values.map((value) => (value ? (JSON.parse(value) as CachedFetch) : null));
    },
    set: async (key, entry, keepSeconds) => {
      if (!usable()) throw new Error('Redis is not available');
      const ttlMs = Math.ceil(keepSeconds * 1000);
      const pipeline = redis.multi().set(entryKey(key), JSON.stringify(entry), 'PX', ttlMs);
      for (const tag of entry.tags) {
        pipeline.sadd(tagKey(tag), key).pexpire(tagKey(tag), ttlMs, 'NX').pexpire(tagKey(tag), ttlMs, 'GT');
      }
      await pipeline.exec();
    },
    drop: async (tags) => {
      try {
        if (redis.status !== 'ready') throw new Error('Redis is not available');
        const keys = [...tags].map(tagKey);
        if (keys.length === 0) return;
        const members = await redis.sunion(...keys);
        const doomed = [...members.map(entryKey), ...keys];
        if (doomed.length > 0) await redis.unlink(...doomed);
      } catch (error) {
        missedDrop = true;
        throw error;
      }
    },
    ready: (timeoutMs) =>
      redis.status === 'ready'
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, timeoutMs);
            redis.once('ready', () => {
              clearTimeout(timer);
              resolve();
            });
          }),
    close: async () => {
      redis.disconnect();
    },
  };
}

/**
 * Memory in front of Redis: a hit in memory costs no round trip; a miss asks Redis and keeps what it found
 * in memory for the rest of its life;
 * stores and drops go to both. Redis failing leaves the memory level working.
 */
export function layeredStore(
  memory: CacheStore,
  shared: CacheStore,
  keepSeconds: (entry: CachedFetch) => number,
): CacheStore {
  return {
    get: async (keys) => {
      const found = await memory.get(keys);
      const missing = keys.flatMap((_key, index) => (found[index] ? [] : [index]));
      if (missing.length === 0) return found;
      const fromShared = await shared.get(missing.map((index) => keys[index] as string)).catch(() => []);
      for (const [position, index] of missing.entries()) {
        const entry = fromShared[position];
        if (!entry) continue;
        found[index] = entry;
        const keep = keepSeconds(entry);
        if (keep > 0) await memory.set(keys[index] as string, entry, keep);
      }
      return found;
    },
    set: async (key, entry, keepSeconds) => {
      await memory.set(key, entry, keepSeconds);
      await shared.set(key, entry, keepSeconds);
    },
    drop: async (tags) => {
      const list = [...tags];
      await memory.drop(list);
      await shared.drop(list);
    },
    ready: (timeoutMs) => shared.ready(timeoutMs),
    close: async () => {
      await memory.close();
      await shared.close();
    },
  };
}
