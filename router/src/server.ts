import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { ApolloServer, HeaderMap } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import {
  type Admission,
  createHttpHandler,
  type Logger,
  type Route,
  recodeLibraryMistakes,
  requestLogging,
  sendJson,
  type TokenVerifier,
  type Viewer,
  viewerFromHeader,
  withoutStacktrace,
} from '@shop/platform';
import {
  type ExecutionResult,
  type FormattedExecutionResult,
  GraphQLError,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from 'graphql';
import { createChangeFeed, freshPositions } from './cache/change-feed.js';
import { cachePlugin, createFetchCache } from './cache/fetch-cache.js';
import { layeredStore, memoryStore, redisStore } from './cache/store.js';
import { acceptsIncremental, newPipeline, type RouterContext } from './context.js';
import { costRulesOf, demandControl } from './demand-control.js';
import type { Environment } from './env.js';
import { clientErrors, errorPolicy } from './error-policy.js';
import type { LaterPayload } from './executor/incremental-delivery.js';
import { createPlanExecutor } from './executor/plan-executor.js';
import { explorerAssetRoutes, explorerPlugin } from './explorer.js';
import { createGateway, subgraphUrls } from './gateway.js';
import { parseHeaderPropagation, propagatedFrom } from './header-propagation.js';
import { withHttpPolicies } from './http-policies.js';
import { queryLimits } from './limits.js';
import { createRouterMetrics } from './metrics.js';
import { loadPersistedOperations, persistedDocuments } from './persisted-operations.js';
import { createRateLimiter, type RateLimiter } from './rate-limit.js';
import { streamTransports } from './subscriptions.js';

export interface RouterDependencies {
  env: Environment;
  /** Per subgraph, a URL to use instead of the supergraph's routing_url (subgraphUrlOverrides). */
  urlOverrides: Record<string, string | undefined>;
  log: Logger;
  supergraphSdl: string;
  verifyToken: TokenVerifier;
  /** The internal API token: the router reads the subgraphs' committed changes with it. */
  internalToken: string;
}

const READY_TIMEOUT_MS = 2_000;
const REDIS_READY_TIMEOUT_MS = 2_000;

/** The router: Apollo Gateway on the committed supergraph, token check first, health, readiness, explorer. */
export async function createRouter({
  env,
  urlOverrides,
  log,
  supergraphSdl,
  verifyToken,
  internalToken,
}: RouterDependencies) {
  const production = env.shared.NODE_ENV === 'production';
  const { introspection } = env;
  const metrics = createRouterMetrics();
  // The cache follows the subgraphs of the supergraph the router started with (a reload adds none to it).
  const subgraphs = subgraphUrls(supergraphSdl, urlOverrides);
  /** What a reload changes: the supergraph's hash, its subgraphs (for health) and its cost rules. */
  const served = {
    hash: hashOf(supergraphSdl),
    subgraphs,
    costRules: costRulesOf(supergraphSdl),
  };
  metrics.schemaServed(served.hash);
  const propagation = env.propagateHeaders ? parseHeaderPropagation(env.propagateHeaders) : null;
  const rateLimiter = env.rateLimit ? createRateLimiter(env.rateLimit, log) : null;
  const cache = env.cache && env.executor === 'own' ? startCache(env.cache) : null;
  const gateway =
    env.executor === 'apollo'
      ? createGateway(supergraphSdl, urlOverrides, env.subgraphFetch, metrics.subgraphFetch)
      : createPlanExecutor({
          supergraphSdl,
          urls: subgraphs,
          policy: env.subgraphFetch,
          onFetch: metrics.subgraphFetch,
          warmDocuments: persistedDocuments(),
          cache: cache?.fetches ?? null,
        });
  const limits = queryLimits(env);
  /** The API schema served now (Apollo Server validates against it; a reload replaces it). */
  const apiSchema = () => (gateway as { schema?: GraphQLSchema }).schema as GraphQLSchema;

  /** The fetch cache (our executor only), its store (memory, or memory before Redis) and its change feed. */
  function startCache(settings: NonNullable<Environment['cache']>) {
    const memory = memoryStore(settings.maxEntries);
    const shared = settings.redisUrl ? redisStore(settings.redisUrl, settings.prefix, log) : null;
    const fetches = createFetchCache({
      store: shared ? layeredStore(memory, shared, (entry) => keepSeconds(entry)) : memory,
      freshForSeconds: settings.freshForSeconds,
      staleIfErrorSeconds: settings.staleIfErrorSeconds,
      log,
      onPart: metrics.cachePart,
      follows: (subgraph) => feed.follows(subgraph),
    });
    const keepSeconds = fetches.keepSeconds;
    const feed = createChangeFeed({
      urls: subgraphs,
      internalToken,
      intervalMs: settings.changesPollMs,
      timeoutMs: env.subgraphFetch.timeoutMs,
      positions: shared?.positions ?? freshPositions,
      drop: fetches.drop,
      lostTrack: fetches.lostTrack,
      log,
    });
    return { fetches, feed };
  }
  // Deliberate errors (bad input, limits, CSRF, a subgraph's coded refusal) carry no stack trace.
  function formatError(reported: GraphQLFormattedError) {
    const formatted = recodeLibraryMistakes(reported);
    return formatted.extensions?.code === 'INTERNAL_SERVER_ERROR' ? formatted : withoutStacktrace(formatted);
  }
  const policy = clientErrors(log, production);
  /** Errors as Apollo Server and the error policy give them to clients, for results Apollo Server does not send. */
  function formatErrors(errors: readonly (GraphQLError | Error)[]) {
    return errors.map((error) => {
      const json: GraphQLFormattedError = error instanceof GraphQLError ? error.toJSON() : { message: error.message };
      // `http` (a status and headers for Apollo Server, e.g. a 429's Retry-After) is not for the client.
      const { http: _http, ...extensions } = json.extensions ?? {};
      const code = extensions.code ?? 'INTERNAL_SERVER_ERROR';
      return formatError({ ...json, extensions: { ...extensions, code } });
    });
  }
  function formatResult(result: ExecutionResult, requestId: string): FormattedExecutionResult {
    const formatted: FormattedExecutionResult = {
      ...result,
      ...(result.errors ? { errors: formatErrors(result.errors) } : {}),
    } as FormattedExecutionResult;
    policy(formatted as Parameters<typeof policy>[0], requestId);
    return formatted;
  }
  /** A later payload of an incremental answer, its errors formatted as Apollo Server and the policy do the first's. */
  function laterPayload(payload: LaterPayload, requestId: string): string {
    const incremental = payload.incremental?.map((entry) => {
      const result: { errors?: GraphQLFormattedError[]; extensions?: Record<string, unknown> } = {
        ...(entry.errors ? { errors: formatErrors(entry.errors) } : {}),
        ...(entry.extensions ? { extensions: entry.extensions } : {}),
      };
      policy(result, requestId);
      return { ...entry, ...result };
    });
    const errors = payload.errors && { errors: formatErrors(payload.errors) };
    if (errors) policy(errors, requestId);
    return JSON.stringify({ ...payload, ...(incremental ? { incremental } : {}), ...errors });
  }

  const apollo = new ApolloServer<RouterContext>({
    gateway,
    introspection,
    includeStacktraceInErrorResponses: !production,
    formatError,
    // Array batching stays off, and CSRF prevention on (Apollo's defaults, stated because they matter).
    allowBatchedHttpRequests: false,
    // Shutdown is ours (stopOnSignals): Apollo's own SIGTERM handler would fail in-flight requests.
    stopOnTerminationSignals: false,
    csrfPrevention: true,
    validationRules: limits.validationRules,
    parseOptions: limits.parseOptions,
    ...(env.safelist ? { persistedQueries: false as const } : {}),
    plugins: [
      introspection ? explorerPlugin('/graphql') : ApolloServerPluginLandingPageDisabled(),
      requestLogging(log),
      errorPolicy(log, production),
      ...limits.plugins,
      demandControl({
        maxCost: env.limits.cost,
        defaultListSize: env.limits.listSize,
        current: () => ({ schema: apiSchema(), rules: served.costRules }),
        onCost: metrics.operationCost,
      }),
      ...(cache ? [cachePlugin(cache.feed.catchUp)] : []),
      metrics.plugin(),
    ],
  });
  await apollo.start();
  // A router that starts with Redis away answers uncached until it is back; one that finds it starts cached.
  await cache?.fetches.ready(REDIS_READY_TIMEOUT_MS);
  // The cache serves a subgraph's fetches once it follows its changes: the first reads come before any request.
  await cache?.feed.start(READY_TIMEOUT_MS);

  /**
   * GET /health/subgraphs: whether each subgraph answers, for operators and start-up scripts: a GraphQL
   * `{ __typename }` by default, which any subgraph serves, or GET SUBGRAPH_READY_PATH (e.g. /ready, where ours
   * also check their database). Not the router's readiness: a router with one subgraph down still serves
   * everything else, so taking it out of its Service would turn one outage into a total one.
   */
  const readyPath = env.subgraphFetch.readyPath;
  const probe = (url: string) =>
    readyPath
      ? fetch(new URL(readyPath, url), { signal: AbortSignal.timeout(READY_TIMEOUT_MS) }).then((reply) => reply.ok)
      : fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"query":"{ __typename }"}',
          signal: AbortSignal.timeout(READY_TIMEOUT_MS),
        }).then(async (reply) => reply.ok && ((await reply.json()) as { data?: unknown }).data !== undefined);
  const subgraphHealth: Route = async (_request, response) => {
    const checks = await Promise.all(
      Object.entries(served.subgraphs).map(async ([name, url]) => {
        const answered = await probe(url).catch(() => false);
        return [name, answered ? 'ready' : 'unavailable'] as const;
      }),
    );
    const allReady = checks.every(([, state]) => state === 'ready');
    sendJson(response, allReady ? 200 : 503, {
      status: allReady ? 'ready' : 'unavailable',
      subgraphs: Object.fromEntries(checks),
    });
  };

  const persistedOperations = loadPersistedOperations({ safelist: env.safelist });
  const admit = persistedOperations
    ? (request: Record<string, unknown>): Admission => {
        const verdict = persistedOperations(request);
        return verdict.ok
          ? verdict
          : { ok: false, status: 400, code: 'PERSISTED_QUERY_NOT_IN_SAFELIST', message: verdict.message };
      }
    : null;
  const graphqlPaths = ['/graphql', '/'];
  /** The context of a request from this caller: its verified token, its rate limit, its propagated headers. */
  const contextOf = async (request: IncomingMessage, requestId: string, authorization?: string) => {
    const viewer = await viewerFromHeader(authorization, verifyToken);
    if (rateLimiter) await takeToken(rateLimiter, viewer, request);
    return {
      requestId,
      viewer,
      authorization,
      pipeline: newPipeline(acceptsIncremental(request.headers.accept)),
      propagated: propagation && { settings: propagation, taken: propagatedFrom(propagation, request.headers) },
    };
  };
  /** Throws RATE_LIMITED (429, Retry-After) when the caller's bucket is empty. */
  async function takeToken(limiter: RateLimiter, viewer: Viewer | null, request: IncomingMessage) {
    const identity = viewer ? `user:${viewer.id}` : `address:${request.socket.remoteAddress ?? 'unknown'}`;
    const verdict = await limiter.take(identity);
    if (verdict.allowed) return;
    metrics.rateLimited(viewer ? 'user' : 'address');
    const seconds = String(verdict.retryAfterSeconds);
    throw new GraphQLError(`too many requests: try again in ${seconds} s`, {
      extensions: {
        code: 'RATE_LIMITED',
        retryAfterSeconds: verdict.retryAfterSeconds,
        http: { status: 429, headers: new HeaderMap([['retry-after', seconds]]) },
      },
    });
  }
  // Subscriptions need our executor (Apollo Gateway's runs none).
  const streams =
    'subscribe' in gateway
      ? streamTransports({
          schema: apiSchema,
          subscribe: gateway.subscribe,
          apollo,
          validationRules: limits.validationRules,
          maxTokens: limits.parseOptions.maxTokens,
          admit,
          contextOf,
          format: formatResult,
          graphqlPaths,
        })
      : null;
  const handler = createHttpHandler<RouterContext>({
    apollo,
    ...(admit ? { admit } : {}),
    graphqlPaths,
    routes: {
      '/health': (_request, response) => sendJson(response, 200, { status: 'ok' }),
      // Ready means "I can serve": the process runs with its validated supergraph, whose hash it names.
      '/ready': (_request, response) => sendJson(response, 200, { status: 'ready', schema: served.hash }),
      '/health/subgraphs': subgraphHealth,
      ...(introspection ? explorerAssetRoutes : {}),
    },
    context: (request, requestId) => contextOf(request, requestId, request.headers.authorization),
    laterPayloads: ({ pipeline, requestId }) =>
      pipeline.later && mapAsync(pipeline.later, (payload) => laterPayload(payload, requestId)),
    ...(streams ? { eventStream: streams.eventStream } : {}),
  });
  const policies = withHttpPolicies(handler, env.httpPolicies, metrics.responseBytes);

  /**
   * Serves another supergraph (README: "Router features"): built and validated beside the served one, the
   * persisted operations planned on it, then switched to at once; requests in flight finish on the one they
   * started with. One that does not build is refused with one log line, and the served one stays.
   */
  function reload(sdl: string): { applied: boolean; hash: string } {
    const hash = hashOf(sdl);
    if (hash === served.hash) {
      metrics.schemaReload('unchanged');
      return { applied: false, hash };
    }
    try {
      if (!('reload' in gateway)) throw new Error('reloading needs ROUTER_EXECUTOR=own');
      const urls = subgraphUrls(sdl, urlOverrides);
      const costRules = costRulesOf(sdl);
      gateway.reload(sdl, urls);
      Object.assign(served, { hash, subgraphs: urls, costRules });
      metrics.schemaReload('applied');
      metrics.schemaServed(hash);
      log.info({ schema: hash }, 'supergraph reloaded');
      return { applied: true, hash };
    } catch (error) {
      metrics.schemaReload('refused');
      log.error({ schema: hash, reason: firstLine(error) }, 'supergraph refused; serving the previous one');
      return { applied: false, hash: served.hash };
    }
  }

  log.debug(
    {
      subgraphs,
      executor: env.executor,
      cache: env.cache ? (env.cache.redisUrl ? 'memory and redis' : 'memory') : 'off',
    },
    'router configured',
  );
  return {
    apollo,
    handler: policies,
    reload,
    /** Served on a port of its own by main.ts (ROUTER_METRICS_PORT). */
    metrics,
    /** WebSocket upgrades (graphql-ws): the server the router listens on hands them here. */
    upgrade: streams?.upgrade ?? ((_request: IncomingMessage, socket: Duplex) => void socket.destroy()),
    /** Ends open subscriptions (SSE and WebSocket): the server they hold open is stopping. */
    endStreams: () => void streams?.close(),
    stop: async () => {
      await streams?.close();
      await rateLimiter?.close();
      cache?.feed.stop();
      await apollo.stop();
      await cache?.fetches.close();
    },
  };
}

const hashOf = (sdl: string) => createHash('sha256').update(sdl).digest('hex').slice(0, 16);
const firstLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0];

async function* mapAsync<T, U>(values: AsyncIterable<T>, map: (value: T) => U): AsyncIterable<U> {
  for await (const value of values) yield map(value);
}
