import { fileURLToPath } from 'node:url';
import { baseEnvironment, parseEnvironment, port, variablesOf, z } from '@shop/platform';

const limit = (fallback: number) => z.coerce.number().int().min(1).default(fallback);

/**
 * The router's variables (README: "Configuration"). Where each subgraph is comes from the supergraph, or from
 * `<NAME>_URL` for any subgraph in it (subgraphUrlOverrides), so the router serves any supergraph file.
 */
export const variables = baseEnvironment.omit({ USERS_URL: true }).extend({
  ROUTER_PORT: port(4000),
  /** Prometheus metrics at GET /metrics on this port (0: any free one), on HOST; never on the public port. */
  ROUTER_METRICS_PORT: port(9464),
  /** The composed supergraph the router serves (committed; `npm run compose` writes it). */
  SUPERGRAPH_FILE: z.string().default(fileURLToPath(new URL('../../supergraph.graphql', import.meta.url))),
  /** Introspection and the explorer: on by default outside production. */
  INTROSPECTION: z.enum(['true', 'false']).optional(),
  MAX_DEPTH: limit(12),
  MAX_ALIASES: limit(15),
  MAX_ROOT_FIELDS: limit(10),
  MAX_DIRECTIVES: limit(20),
  MAX_TOKENS: limit(2000),
  /** Demand control: the most an operation's estimated cost (from @cost and @listSize) may be. */
  MAX_COST: limit(25_000),
  /** A list's assumed size for its cost when it has no @listSize and no slicing argument. */
  COST_LIST_SIZE: limit(10),
  /**
   * gzip or Brotli for answers over COMPRESSION_THRESHOLD_BYTES, as the client's Accept-Encoding prefers. On by
   * default (as Apollo Router): on the realistic mix it cost under 5 % of the req/s on PGlite and 7–11 % on
   * PostgreSQL (README: "Router features"); `off` for a router whose CPU is the limit or behind a compressing proxy.
   */
  COMPRESSION: z.enum(['on', 'off']).default('on'),
  COMPRESSION_THRESHOLD_BYTES: z.coerce.number().int().min(0).default(1024),
  /** Origins whose pages may call the router from a browser (CORS): `*`, or a comma-separated list; unset: none. */
  CORS_ORIGINS: z.string().min(1).optional(),
  /** Client headers passed on to subgraphs: `name` (every subgraph) or `subgraph:name`, comma-separated. */
  PROPAGATE_HEADERS: z.string().optional(),
  /** Requests per second each caller (token subject, else address) may send, sustained; unset: no limit. */
  RATE_LIMIT_PER_SECOND: z.coerce.number().positive().optional(),
  /** Requests a caller may send at once after a quiet spell; default: one second's worth (at least 1). */
  RATE_LIMIT_BURST: z.coerce.number().int().min(1).optional(),
  /** Prefix of the rate limit's Redis keys (with REDIS_URL: every replica shares each caller's bucket). */
  RATE_LIMIT_PREFIX: z.string().min(1).default('shop:rate:'),
  /** Serve a new SUPERGRAPH_FILE when it changes (and on SIGHUP), without a restart. */
  SUPERGRAPH_WATCH: z.enum(['true', 'false']).default('true'),
  /** A subgraph fetch taking longer is abandoned; that part of the answer is null, with an error. */
  SUBGRAPH_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(5000),
  /** Extra attempts for a failed subgraph query (never for mutations), with backoff. */
  SUBGRAPH_RETRIES: z.coerce.number().int().min(0).max(5).default(2),
  /** Readiness probes GET this path of each subgraph (e.g. /ready); unset: a GraphQL `{ __typename }`. */
  SUBGRAPH_READY_PATH: z.string().startsWith('/').optional(),
  /** Connections the router keeps open to each subgraph (its own executor; Apollo's opens as many as it needs). */
  SUBGRAPH_CONNECTIONS: z.coerce.number().int().min(1).max(1024).default(32),
  /** `apollo`: Apollo Gateway's executor instead of the router's own (the same plans; to compare answers and costs). */
  ROUTER_EXECUTOR: z.enum(['own', 'apollo']).default('own'),
  /** Identical subgraph queries in flight at once (same body and token) share one fetch. */
  SUBGRAPH_DEDUPLICATION: z.enum(['true', 'false']).default('true'),
  /** Listed operations (operations/manifest.json) always run by hash; `safelist`: nothing else runs. */
  PERSISTED_OPERATIONS: z.enum(['off', 'safelist']).default('off'),
  /** The fetch cache (README: "Cache"): subgraph fetches kept per part, dropped by committed changes. */
  CACHE: z.enum(['on', 'off']).default('on'),
  /** Also keep cached parts in this Redis (shared by every router replica), behind each replica's memory. */
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  /** Prefix of the cache's Redis keys (e.g. one per environment sharing a Redis). */
  CACHE_PREFIX: z.string().min(1).default('shop:cache:'),
  /** Parts kept in each replica's memory at most (least recently used go first). */
  CACHE_MAX_ENTRIES: limit(50_000),
  /** How long a part stays fresh while its subgraph's changes are followed, when longer than its max-age. */
  CACHE_FRESH_SECONDS: z.coerce.number().int().min(0).max(86_400).default(600),
  /** How long past that a public part may be served while its subgraph is unreachable (0: never). */
  CACHE_STALE_IF_ERROR_SECONDS: z.coerce.number().int().min(0).max(86_400).default(300),
  /** How often each subgraph's committed changes are read (a change reaches this replica's cache within it). */
  CACHE_CHANGES_POLL_MS: z.coerce.number().int().min(10).max(3_600_000).default(250),
});

/** The router's configuration, validated once and grouped by concern. */
export const environment = variables.transform(
  ({
    ROUTER_PORT,
    ROUTER_METRICS_PORT,
    SUPERGRAPH_FILE,
    INTROSPECTION,
    MAX_DEPTH,
    MAX_ALIASES,
    MAX_ROOT_FIELDS,
    MAX_DIRECTIVES,
    MAX_TOKENS,
    MAX_COST,
    COST_LIST_SIZE,
    COMPRESSION,
    COMPRESSION_THRESHOLD_BYTES,
    CORS_ORIGINS,
    PROPAGATE_HEADERS,
    RATE_LIMIT_PER_SECOND,
    RATE_LIMIT_BURST,
    RATE_LIMIT_PREFIX,
    SUPERGRAPH_WATCH,
    SUBGRAPH_TIMEOUT_MS,
    SUBGRAPH_RETRIES,
    SUBGRAPH_DEDUPLICATION,
    SUBGRAPH_CONNECTIONS,
    ROUTER_EXECUTOR,
    SUBGRAPH_READY_PATH,
    PERSISTED_OPERATIONS,
    CACHE,
    REDIS_URL,
    CACHE_PREFIX,
    CACHE_MAX_ENTRIES,
    CACHE_FRESH_SECONDS,
    CACHE_STALE_IF_ERROR_SECONDS,
    CACHE_CHANGES_POLL_MS,
    ...shared
  }) => ({
    /** What every service has (NODE_ENV, LOG_LEVEL, keys, …). */
    shared,
    http: { host: shared.HOST, port: ROUTER_PORT },
    metrics: { host: shared.HOST, port: ROUTER_METRICS_PORT },
    supergraphFile: SUPERGRAPH_FILE,
    watchSupergraph: SUPERGRAPH_WATCH === 'true',
    executor: ROUTER_EXECUTOR,
    /** Introspection and the explorer. */
    introspection: INTROSPECTION ? INTROSPECTION === 'true' : shared.NODE_ENV !== 'production',
    limits: {
      depth: MAX_DEPTH,
      aliases: MAX_ALIASES,
      rootFields: MAX_ROOT_FIELDS,
      directives: MAX_DIRECTIVES,
      tokens: MAX_TOKENS,
      cost: MAX_COST,
      listSize: COST_LIST_SIZE,
    },
    httpPolicies: {
      compression: COMPRESSION === 'on' ? { thresholdBytes: COMPRESSION_THRESHOLD_BYTES } : null,
      corsOrigins:
        CORS_ORIGINS === '*'
          ? ('*' as const)
          : (CORS_ORIGINS ?? '')
              .split(',')
              .map((origin) => origin.trim())
              .filter(Boolean),
    },
    propagateHeaders: PROPAGATE_HEADERS,
    rateLimit: RATE_LIMIT_PER_SECOND
      ? {
          perSecond: RATE_LIMIT_PER_SECOND,
          burst: RATE_LIMIT_BURST ?? Math.max(1, Math.ceil(RATE_LIMIT_PER_SECOND)),
          redisUrl: REDIS_URL ?? null,
          prefix: RATE_LIMIT_PREFIX,
        }
      : null,
    subgraphFetch: {
      timeoutMs: SUBGRAPH_TIMEOUT_MS,
      retries: SUBGRAPH_RETRIES,
      shareIdenticalQueries: SUBGRAPH_DEDUPLICATION === 'true',
      connections: SUBGRAPH_CONNECTIONS,
      readyPath: SUBGRAPH_READY_PATH ?? null,
    },
    safelist: PERSISTED_OPERATIONS === 'safelist',
    cache:
      CACHE === 'off'
        ? null
        : {
            redisUrl: REDIS_URL ?? null,
            prefix: CACHE_PREFIX,
            maxEntries: CACHE_MAX_ENTRIES,
            freshForSeconds: CACHE_FRESH_SECONDS,
            staleIfErrorSeconds: CACHE_STALE_IF_ERROR_SECONDS,
            changesPollMs: CACHE_CHANGES_POLL_MS,
          },
  }),
);

export type Environment = z.infer<typeof environment>;

/** `<NAME>_URL` for each of these subgraphs, validated: where to reach it instead of its routing_url. */
export function subgraphUrlOverrides(names: string[], env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  const variables = new Map(names.map((name) => [variablesOf(name).url, name]));
  const schema = z.object(Object.fromEntries([...variables.keys()].map((variable) => [variable, z.url().optional()])));
  const parsed = parseEnvironment(schema, env) as Record<string, string | undefined>;
  return Object.fromEntries([...variables].map(([variable, name]) => [name, parsed[variable]]));
}
