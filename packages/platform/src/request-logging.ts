import type { ApolloServerPlugin } from '@apollo/server';
import type { Logger } from './logger.js';

/**
 * One log line per GraphQL request, carrying the request id the router assigned (or the client sent), so a
 * request can be followed through the router and every subgraph it touched.
 */
export function requestLogging<Context extends { requestId: string }>(log: Logger): ApolloServerPlugin<Context> {
  return {
    async requestDidStart({ contextValue }) {
      const started = performance.now();
      return {
        async willSendResponse({ request, errors }) {
          log.info(
            {
              requestId: contextValue.requestId,
              operationName: request.operationName ?? null,
              durationMs: Math.round((performance.now() - started) * 10) / 10,
              errors: errors?.length ?? 0,
            },
            'graphql request',
          );
        },
      };
    },
  };
}
