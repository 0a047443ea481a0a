import { GraphQLError } from 'graphql';

/**
 * The `extensions.code` values every service may answer (see the README's "Errors" section). A service adds
 * codes of its own domain (e.g. OUT_OF_STOCK) where it raises them.
 */
export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'SERVICE_UNAVAILABLE'
  | 'RATE_LIMITED'
  | 'INTERNAL_SERVER_ERROR';

/** An error raised on purpose, with a stable code: it reaches the client as it is (never masked). */
export function userError<Code extends string = ErrorCode>(
  code: Code,
  message: string,
  details: Record<string, unknown> = {},
): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...details } });
}

export const badUserInput = (message: string, field?: string) =>
  userError('BAD_USER_INPUT', message, field ? { field } : {});
export const notFound = (what: string, id: string) => userError('NOT_FOUND', `${what} ${id} does not exist`, { id });
