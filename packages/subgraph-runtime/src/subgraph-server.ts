import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { ApolloServer } from '@apollo/server';
import {
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import {
  createHttpHandler,
  eventStreamHandler,
  isInternalToken,
  type Logger,
  metricsRoute,
  type Route,
  recodeLibraryMistakes,
  requestIdOf,
  requestLogging,
  sendJson,
  type TokenVerifier,
  type Viewer,
  viewerFromHeader,
  withoutStacktrace,
} from '@shop/platform';
import { type GraphQLError, type GraphQLFormattedError, parse } from 'graphql';
import { enforceArgumentRules } from './argument-rules.js';
import { type CacheDescription, changesReader } from './cache-changes.js';
import { Reads, reportReads } from './cache-reads.js';
import { databaseFailureOf } from './database/failures.js';
import { cursorCodec, type PageRequester } from './pagination.js';

/** What every subgraph's per-request context starts with. */
export interface RequestBase {
  requestId: string;
  log: Logger;
  viewer: Viewer | null;
  /** The caller's Authorization header, to act as the same caller towards another service. */
  authorization: string | undefined;
  /** True when the caller presented the internal API token: another service of this supergraph. */
  internalCaller: boolean;
  /** What this request read, for the router's cache (entities seen, lists marked with `readsList`). */
  reads: Reads;
  /** The page a field's `first`/`after` ask for; `list` names the list and its ordering (see pagination.ts). */
  pageRequest: PageRequester;
}

export interface SubgraphOptions<Context extends RequestBase> {
  /** The subgraph's name, for messages ("the orders database is unavailable"). */
  service: string;
  /** The subgraph's schema.graphql. */
  schemaFile: URL;
  /** The subgraph's resolvers, typed by its generated schema types. */
  resolvers: object;
  /** Adds the service's per-request parts (loaders, service layer) to the base context. */
  context: (base: RequestBase) => Context;
  /** The types it owns and what its row changes mean, for the routers' caches (none: no change log). */
  cache?: CacheDescription | undefined;
}

/** What createSubgraph needs from the service's main (or a test): database, settings, logger, token checks. */
export interface SubgraphRuntime {
  prisma: {
    $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number>;
    $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
  };
  env: { NODE_ENV: string };
  log: Logger;
  verifyToken: TokenVerifier;
  /** The internal API token, compared with the `x-internal-token` header. */
  internalToken: string;
}

/**
 * One subgraph: Apollo Server on the federation schema, behind the shared HTTP handler. Every argument is
 * checked against the kit's rules before any resolver runs (argument-rules.ts). Errors raised on purpose with a
 * code reach clients as they are; anything else is logged in full and, in production, masked.
 */
export async function createSubgraph<Context extends RequestBase>(
  runtime: SubgraphRuntime,
  options: SubgraphOptions<Context>,
) {
  const production = runtime.env.NODE_ENV === 'production';
  const schema = enforceArgumentRules(
    buildSubgraphSchema({
      typeDefs: parse(readFileSync(options.schemaFile, 'utf8')),
      resolvers: options.resolvers as GraphQLResolverMap<unknown>,
    }),
  );
  const apollo = new ApolloServer<Context>({
    schema,
    introspection: true, // the router composes from SDL; clients reach subgraphs only through it
    includeStacktraceInErrorResponses: !production,
    // Shutdown is ours (stopOnSignals): Apollo's own SIGTERM handler would fail in-flight requests.
    stopOnTerminationSignals: false,
    // No inline tracing: nothing here reads federated traces, and it costs time on every request.
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
      requestLogging(runtime.log),
      ...(options.cache ? [reportReads(options.cache.entities)] : []),
    ],
    formatError: (formatted, error) => maskUnexpected(formatted, error, options.service, runtime.log, production),
  });
  const changes = options.cache ? changesReader(runtime.prisma, options.cache) : null;
  const routes: Record<string, Route> = {
    '/metrics': metricsRoute,
    ...(changes ? { '/changes': changes.route(runtime.internalToken) } : {}),
    '/health': (_request, response) => sendJson(response, 200, { status: 'ok' }),
    '/ready': async (_request, response) => {
      const ready = await databaseAnswers(runtime.prisma).catch(() => false);
      sendJson(response, ready ? 200 : 503, { status: ready ? 'ready' : 'unavailable' });
    },
  };
  // Cursors are signed with a key derived from the secret every replica of every service shares.
  const { pageRequest } = cursorCodec(runtime.internalToken);
  const contextOf = async (request: IncomingMessage, requestId: string) => {
    const log = runtime.log.child({ requestId });
    const viewer = await viewerFromHeader(request.headers.authorization, runtime.verifyToken);
    const internalCaller = isInternalToken(headerValue(request.headers['x-internal-token']), runtime.internalToken);
    const authorization = request.headers.authorization;
    const reads = new Reads();
    return options.context({ requestId, log, viewer, authorization, internalCaller, reads, pageRequest });
  };
  const eventStream = schema.getSubscriptionType()
    ? eventStreamHandler<Context>({
        schema,
        context: (request) =>
          contextOf(request.raw, requestIdOf(request.raw)) as Promise<Context & Record<PropertyKey, unknown>>,
        onNext: (_context, _request, result) => ({
          ...result,
          ...(result.errors
            ? {
                errors: result.errors.map((error) =>
                  maskUnexpected(error.toJSON(), error, options.service, runtime.log, production),
                ) as unknown as GraphQLError[],
              }
            : {}),
        }),
      })
    : null;
  const handler = createHttpHandler<Context>({
    apollo,
    routes,
    context: contextOf,
    // Subscriptions (the router subscribes for its clients): GraphQL over Server-Sent Events.
    ...(eventStream ? { eventStream } : {}),
  });
  await apollo.start();
  return { apollo, handler, pruneChanges: changes?.prune, endStreams: () => eventStream?.endAll() };
}

function maskUnexpected(
  reported: GraphQLFormattedError,
  error: unknown,
  service: string,
  log: Logger,
  production: boolean,
): GraphQLFormattedError {
  const formatted = recodeLibraryMistakes(reported);
  // Raised on purpose with a code (userError, the argument rules, Apollo's request and variable errors);
  // whatever else went wrong reaches here as INTERNAL_SERVER_ERROR.
  const code = formatted.extensions?.code;
  if (typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR') return withoutStacktrace(formatted);
  const original = (error as { originalError?: unknown }).originalError;
  // The database restarting, unreachable or out of connections is an outage the client may retry, not a bug.
  if (databaseFailureOf(original ?? error)) {
    log.warn({ err: original ?? error, path: formatted.path }, 'database unavailable');
    return {
      message: `the ${service} service's database is unavailable; try again shortly (a change you asked for may still take effect: retry it the same way, e.g. with the same idempotencyKey)`,
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: { code: 'SERVICE_UNAVAILABLE', serviceName: service },
    };
  }
  log.error({ err: original ?? error, path: formatted.path }, 'unexpected error');
  if (!production) return formatted;
  return { message: 'Internal server error', path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}

/** The readiness check: the service's database answers a trivial query. */
async function databaseAnswers(prisma: { $executeRawUnsafe(query: string): Promise<number> }): Promise<boolean> {
  await prisma.$executeRawUnsafe('SELECT 1');
  return true;
}

const headerValue = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);
