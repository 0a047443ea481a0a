import type { Logger } from '@shop/platform';
import { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';

/** A cached answer: the response body, its cache policy, and when it was stored (for the Age header). */
export interface CachedAnswer {
  body: string;
  maxAge: number;
  scope: 'PUBLIC' | 'PRIVATE';
  storedAt: number;
}

/**
 * Where the response cache keeps answers, each with the tags of what it shows (cache-tags.ts). In memory by
 * default; in Redis when REDIS_URL is set, so every router replica shares answers and invalidations.
 * A store that fails (Redis down) throws; the cache then answers uncached.
 */
export interface AnswerStore {
  /** The answers under these keys, in order (null: none). */
  get(keys: string[]): Promise<(CachedAnswer | null)[]>;
  set(key: string, answer: CachedAnswer, tags: Set<string>): Promise<void>;
  /** Drops every answer carrying one of these tags. */
  drop(tags: Set<string>): Promise<void>;
  /** Resolves once the store can be used (at once in memory; Redis connected), or after `timeoutMs` anyway. */
  ready(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export function memoryStore(maxEntries: number): AnswerStore {
  const byTag = new Map<string, Set<string>>();
  const tagsOf = new Map<string, Set<string>>();
  const answers = new LRUCache<string, CachedAnswer>({
    max: maxEntries,
    ttlAutopurge: false,
    // An evicted or expired answer leaves its tags' indexes, so they do not grow without bound.
    dispose: (_answer, key) => {
      for (const tag of tagsOf.get(key) ?? []) {
        const keys = byTag.get(tag);
        keys?.delete(key);
        if (keys?.size === 0) byTag.delete(tag);
      }
      tagsOf.delete(key);
    },
  });
  return {
    get: async (keys) => keys.map((key) => answers.get(key) ?? null),
    set: async (key, answer, tags) => {
      answers.set(key, answer, { ttl: answer.maxAge * 1000 });
      tagsOf.set(key, tags);
      for (const tag of tags) {
        const keys = byTag.get(tag) ?? new Set<string>();
        byTag.set(tag, keys.add(key));
      }
    },
    drop: async (tags) => {
      for (const tag of tags) for (const key of [...(byTag.get(tag) ?? [])]) answers.delete(key);
    },
    ready: async () => undefined,
    close: async () => answers.clear(),
  };
}

/**
 * Redis: each answer under `<prefix>a:<key>` with its max-age as TTL; each tag a set `<prefix>t:<tag>` of
 * answer keys, expiring with its longest-lived answer. Commands fail at once while Redis is away (no offline
 * queue, short timeouts), so a request never waits for it. An invalidation that could not be sent leaves
 * stale answers behind, so when Redis is back every answer under the prefix is dropped before it is used again.
 */
export function redisStore(url: string, prefix: string, log: Logger): AnswerStore {
  let missedDrop = false;
  let reported = false;
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 250,
    connectTimeout: 1000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  redis.on('error', (error: Error) => {
    if (!reported) log.warn({ err: error.message }, 'response cache: Redis unavailable; answering uncached');
    reported = true;
  });
  redis.on('ready', () => {
    if (reported) log.info('response cache: Redis is back');
    reported = false;
    if (missedDrop) void dropEverything();
  });

  const answerKey = (key: string) => `${prefix}a:${key}`;
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
    log.info('response cache: dropped every answer kept while an invalidation could not reach Redis');
  }

  return {
    get: async (keys) => {
      if (!usable()) throw new Error('Redis is not available');
      const values = await redis.mget(...keys.map(answerKey));
      return values.map((value) => (value ? (JSON.parse(value) as CachedAnswer) : null));
    },
    set: async (key, answer, tags) => {
      if (!usable()) throw new Error('Redis is not available');
      const ttlMs = answer.maxAge * 1000;
      const pipeline = redis.multi().set(answerKey(key), JSON.stringify(answer), 'PX', ttlMs);
      for (const tag of tags) {
        pipeline.sadd(tagKey(tag), key).pexpire(tagKey(tag), ttlMs, 'NX').pexpire(tagKey(tag), ttlMs, 'GT');
      }
      await pipeline.exec();
    },
    drop: async (tags) => {
      try {
        if (redis.status !== 'ready') throw new Error('Redis is not available');
        const keys = tags.size === 0 ? [] : [...tags].map(tagKey);
        const members = keys.length === 0 ? [] : await redis.sunion(...keys);
        const doomed = [...members.map(answerKey), ...keys];
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
