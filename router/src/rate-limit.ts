import type { Logger } from '@shop/platform';
import { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { FAIL_FAST } from './cache/store.js';

export interface RateLimitSettings {
  /** Tokens added to each identity's bucket per second: its sustained rate. */
  perSecond: number;
  /** The bucket's size: requests one identity may send at once after a quiet spell. */
  burst: number;
  /** Buckets shared by every replica in this Redis; null: each replica counts alone. */
  redisUrl: string | null;
  prefix: string;
}

export type RateVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** Identities whose buckets one replica keeps in memory at most (least recently seen go first: they are full). */
const MAX_BUCKETS = 100_000;

/**
 * A token bucket per identity: each request takes one token; tokens come back at `perSecond` up to `burst`.
 * In Redis the bucket is updated by one Lua script (atomic, on Redis's clock, so replicas agree); a Redis
 * that does not answer falls back to this replica's own buckets, so the limit holds per replica meanwhile.
 */
export function createRateLimiter(settings: RateLimitSettings, log: Logger) {
  const buckets = new LRUCache<string, { tokens: number; at: number }>({ max: MAX_BUCKETS });
  const takeInMemory = (identity: string): RateVerdict => {
    const now = performance.now() / 1000;
    const bucket = buckets.get(identity) ?? { tokens: settings.burst, at: now };
    const tokens = Math.min(settings.burst, bucket.tokens + (now - bucket.at) * settings.perSecond);
    if (tokens < 1) {
      buckets.set(identity, { tokens, at: now });
      return { allowed: false, retryAfterSeconds: Math.ceil((1 - tokens) / settings.perSecond) };
    }
    buckets.set(identity, { tokens: tokens - 1, at: now });
    return { allowed: true };
  };

  const redis = settings.redisUrl ? sharedBuckets(settings, log) : null;
  return {
    take: async (identity: string): Promise<RateVerdict> => (await redis?.take(identity)) ?? takeInMemory(identity),
    close: async () => redis?.close(),
  };
}

/** KEYS[1]: the bucket; ARGV: rate per second, burst. Answers 0 when allowed, else the milliseconds to wait. */
const TAKE_SCRIPT = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(bucket[1]) or burst
local at = tonumber(bucket[2]) or now
tokens = math.min(burst, tokens + (now - at) * rate / 1000)
local wait = 0
if tokens < 1 then
  wait = math.ceil((1 - tokens) * 1000 / rate)
else
  tokens = tokens - 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return wait
`;

function sharedBuckets(settings: RateLimitSettings, log: Logger) {
  let reported = false;
  const redis = new Redis(settings.redisUrl as string, FAIL_FAST);
  redis.on('error', (error: Error) => {
    if (!reported) log.warn({ err: error.message }, 'rate limit: Redis unavailable; counting per replica');
    reported = true;
  });
  redis.on('ready', () => {
    if (reported) log.info('rate limit: Redis is back');
    reported = false;
  });
  redis.defineCommand('takeToken', { numberOfKeys: 1, lua: TAKE_SCRIPT });
  const take = redis as Redis & { takeToken(key: string, rate: number, burst: number): Promise<number> };
  return {
    /** The verdict from Redis, or null when Redis cannot give one now. */
    take: async (identity: string): Promise<RateVerdict | null> => {
      if (redis.status !== 'ready') return null;
      try {
        const waitMs = await take.takeToken(`${settings.prefix}${identity}`, settings.perSecond, settings.burst);
        return waitMs > 0 ? { allowed: false, retryAfterSeconds: Math.ceil(waitMs / 1000) } : { allowed: true };
      } catch {
        return null;
      }
    },
    close: async () => void (await redis.quit().catch(() => redis.disconnect())),
  };
}

export type RateLimiter = ReturnType<typeof createRateLimiter>;
