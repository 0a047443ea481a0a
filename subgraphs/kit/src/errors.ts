import { GraphQLError } from 'graphql';

/** The `extensions.code` values clients can rely on (see the README's "Errors" section). */
export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'OUT_OF_STOCK'
  | 'PRODUCT_ARCHIVED'
  | 'SERVICE_UNAVAILABLE'
  | 'RATE_LIMITED'
  | 'INTERNAL_SERVER_ERROR';

export function userError(code: ErrorCode, message: string, details: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...details } });
}

export const badUserInput = (message: string, field?: string) =>
  userError('BAD_USER_INPUT', message, field ? { field } : {});
export const notFound = (what: string, id: string) => userError('NOT_FOUND', `${what} ${id} does not exist`, { id });
