import type { ApolloServerPlugin } from '@apollo/server';
import type { Logger } from '@shop/platform';
import type { GraphQLFormattedError } from 'graphql';
import type { RouterContext } from './context.js';
import { LIMIT_REJECTIONS } from './limits.js';

/**
 * Why a value could not be completed, from the executor's message (Apollo Gateway's wording, which both
 * executors use): what the client should know about the null it got.
 */
const INCOMPLETE_CAUSES: { pattern: RegExp; cause: string }[] = [
  {
    pattern: /^Cannot return null for non-nullable/,
    cause: 'a service answered nothing for it, so its nearest nullable parent is null',
  },
  {
    pattern: /^Invalid value found/,
    cause: 'a service answered a value the API does not have (such as an enum value it hides), so it is null',
  },
  {
    pattern: /^Invalid __typename found/,
    cause: 'a service answered a type the API does not have (hidden or unknown), so it is null',
  },
];

/**
 * Fields the executor could not complete (a service answered null or nothing for a field that cannot be null, a
 * value or a type the API schema hides) are null. The executor reports them only in `extensions.valueCompletion`
 * when no other error occurred, so a client would see an emptied answer and no error: they become errors here,
 * each with its path, INCOMPLETE_DATA and the cause.
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
    ...incomplete.map((error: { message: string; path?: readonly (string | number)[] }) => {
      const cause = INCOMPLETE_CAUSES.find(({ pattern }) => pattern.test(error.message))?.cause;
      return {
        message: `${error.message.replace(/\.$/, '')}: ${cause ?? 'it could not be completed, so it is null'}`,
        ...(error.path ? { path: error.path } : {}),
        extensions: { code: 'INCOMPLETE_DATA' },
      };
    }),
  ];
}

/**
 * Gives limit rejections their own codes and messages, surfaces fields that could not be completed, and in production masks unexpected errors — the client sees
 * INTERNAL_SERVER_ERROR with the request id, the log keeps the message. Errors from subgraphs keep their code
 * and `extensions.serviceName`, so a client can tell which service failed.
 */
export function errorPolicy(log: Logger, production: boolean): ApolloServerPlugin<RouterContext> {
  const apply = clientErrors(log, production);
  return {
    async requestDidStart({ contextValue }) {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind === 'single') apply(response.body.singleResult, contextValue.requestId);
        },
      };
    },
  };
}

/**
 * The policy for one result (an answer, or an entry of a later payload of an incremental one), whose errors are
 * already formatted: changed in place.
 */
export function clientErrors(log: Logger, production: boolean) {
  return (
    result: { errors?: readonly GraphQLFormattedError[]; extensions?: Record<string, unknown> },
    requestId: string,
  ) => {
    surfaceIncompleteFields(result);
    if (!result.errors) return;
    result.errors = result.errors.map((error) => {
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
  };
}
