import type { ApolloServerPlugin } from '@apollo/server';
import type { Logger } from './logger.js';
import { spanOperation } from './tracing.js';

/** A request at least this slow is logged at info even when it succeeded. */
const SLOW_REQUEST_MS = 1000;

/**
 * One log line per GraphQL request (and its operation's name on the request's trace span), carrying the request id the router assigned (or the client sent), so a
 * request can be followed through the router and every subgraph it touched. Requests that failed or were slow
 * are logged at info; the others at debug (LOG_LEVEL=debug), since a line per request cost the router ~10 % of
 * its CPU under load (bench/README.md).
 */
export function requestLogging<Context extends { requestId: string }>(log: Logger): ApolloServerPlugin<Context> {
  return {
    async requestDidStart({ contextValue }) {
      const started = performance.now();
      return {
        // The request's trace span is named after its operation, e.g. `query MyOrders`.
        async didResolveOperation({ operation, operationName }) {
          spanOperation(operation?.operation, operationName);
        },
        async willSendResponse({ request, errors }) {
          const durationMs = Math.round((performance.now() - started) * 10) / 10;
          const level = errors?.length || durationMs >= SLOW_REQUEST_MS ? 'info' : 'debug';
          if (!log.isLevelEnabled(level)) return;
          log[level](
            {
              requestId: contextValue.requestId,
              operationName: request.operationName ?? null,
              durationMs,
              errors: errors?.length ?? 0,
            },
            'graphql request',
          );
        },
      };
    },
  };
}
