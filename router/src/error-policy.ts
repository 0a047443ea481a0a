import type { ApolloServerPlugin } from '@apollo/server';
import type { Logger } from '@shop/subgraph-kit';
import type { RouterContext } from './context.js';
import { LIMIT_CODES } from './limits.js';

/**
 * Gives limit rejections their own codes, and in production masks unexpected errors — the client sees
 * INTERNAL_SERVER_ERROR with the request id, the log keeps the message. Errors from subgraphs keep their code
 * and `extensions.serviceName`, so a client can tell which service failed.
 */
export function errorPolicy(log: Logger, production: boolean): ApolloServerPlugin<RouterContext> {
  return {
    async requestDidStart({ contextValue }) {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single' || !response.body.singleResult.errors) return;
          const { requestId } = contextValue;
          response.body.singleResult.errors = response.body.singleResult.errors.map((error) => {
            const limit = LIMIT_CODES.find(([pattern]) => pattern.test(error.message));
            if (limit) return { ...error, extensions: { ...error.extensions, code: limit[1] } };
            if (!production || error.extensions?.code !== 'INTERNAL_SERVER_ERROR') return error;
            log.error({ requestId, error }, 'unexpected error (masked for the client)');
            return {
              message: `Internal server error (request ${requestId})`,
              ...(error.path ? { path: error.path } : {}),
              extensions: {
                code: 'INTERNAL_SERVER_ERROR',
                requestId,
                ...(error.extensions?.serviceName ? { serviceName: error.extensions.serviceName } : {}),
              },
            };
          });
        },
      };
    },
  };
}
