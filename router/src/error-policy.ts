import type { ApolloServerPlugin } from '@apollo/server';
import type { Logger } from '@shop/platform';
import type { GraphQLFormattedError } from 'graphql';
import type { RouterContext } from './context.js';
import { LIMIT_REJECTIONS } from './limits.js';

/**
 * Fields the gateway could not complete (a service answered null, or nothing, for a field that cannot be null)
 * null their nearest nullable parent. Apollo Gateway reports them only in `extensions.valueCompletion` when no
 * other error occurred, so a client would see an emptied answer and no error: they become errors here, each
 * with its path and INCOMPLETE_DATA.
 */
function surfaceIncompleteFields(result: {
  errors?: readonly GraphQLFormattedError[];
  extensions?: Record<string, unknown>;
}) {
  const incomplete = result.extensions?.valueCompletion;
  if (!Array.isArray(incomplete) || !result.extensions) return;
  const { valueCompletion: _moved, ...rest } = result.extensions;
  result.extensions = Object.keys(rest).length > 0 ? rest : undefined;
  result.errors = [
    ...(result.errors ?? []),
    ...incomplete.map((error: { message: string; path?: readonly (string | number)[] }) => ({
      message: `${error.message.replace(/\.$/, '')}: a service answered nothing for it, so its nearest nullable parent is null`,
      ...(error.path ? { path: error.path } : {}),
      extensions: { code: 'INCOMPLETE_DATA' },
    })),
  ];
}

/**
 * Gives limit rejections their own codes and messages, surfaces fields that could not be completed, and in production masks unexpected errors — the client sees
 * INTERNAL_SERVER_ERROR with the request id, the log keeps the message. Errors from subgraphs keep their code
 * and `extensions.serviceName`, so a client can tell which service failed.
 */
export function errorPolicy(log: Logger, production: boolean): ApolloServerPlugin<RouterContext> {
  return {
    async requestDidStart({ contextValue }) {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single') return;
          surfaceIncompleteFields(response.body.singleResult);
          if (!response.body.singleResult.errors) return;
          const { requestId } = contextValue;
          response.body.singleResult.errors = response.body.singleResult.errors.map((error) => {
            for (const { pattern, code, message } of LIMIT_REJECTIONS) {
              const match = pattern.exec(error.message);
              if (match) return { ...error, message: message([...match]), extensions: { ...error.extensions, code } };
            }
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
