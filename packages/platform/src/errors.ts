import { GraphQLError, type GraphQLFormattedError } from 'graphql';

/** A declared `extensions.code`: the HTTP status of a response that carries it alone, and when clients get it. */
export interface ErrorCodeDeclaration {
  httpStatus: number;
  when: string;
}
export type ErrorCodeDeclarations = Record<string, ErrorCodeDeclaration>;

/**
 * The codes any service may answer, declared once here. The router and each subgraph declare their own
 * (limits, a domain's refusals such as OUT_OF_STOCK) beside the code that raises them; the README's table is
 * generated from all of them (`npm run codegen`), and a check fails on a code used but declared nowhere.
 */
export const PLATFORM_ERROR_CODES = {
  BAD_USER_INPUT: {
    httpStatus: 200,
    when: 'invalid arguments: empty names, negative quantities, `first` over 100, a cursor from another list or ordering or edited by hand, a malformed id, text with control characters (`extensions.field` names the argument, e.g. `input.items[0].productId`); HTTP 400 when the variables do not fit their types',
  },
  UNAUTHENTICATED: {
    httpStatus: 401,
    when: 'no token where one is needed, a bad or expired token or one of a closed account, wrong email or password (HTTP 200 for a wrong password)',
  },
  FORBIDDEN: { httpStatus: 200, when: "signed in, but not allowed (admin-only mutations, someone else's data)" },
  NOT_FOUND: {
    httpStatus: 200,
    when: 'a mutation names a well-formed id that names nothing (e.g. an unknown product in `placeOrder` or `createFaq`); a query answers `null` instead',
  },
  CONFLICT: {
    httpStatus: 200,
    when: 'a duplicate SKU or email, cancelling a shipped order, an `idempotencyKey` reused with other items',
  },
  RATE_LIMITED: {
    httpStatus: 200,
    when: 'too many failed log-ins for one email; or, with `RATE_LIMIT_PER_SECOND` set, more requests from one caller (token subject, else address) than the router allows, answered with HTTP 429 and `Retry-After`; `extensions.retryAfterSeconds` says when to try again',
  },
  SERVICE_UNAVAILABLE: {
    httpStatus: 200,
    when: 'a service the operation needs, or its database, did not answer (`extensions.serviceName`): try again. For a mutation the message says whether nothing was changed or it may still take effect (then retry with the same `idempotencyKey` to learn the outcome); HTTP 503 when tokens cannot be checked because users does not answer',
  },
  INTERNAL_SERVER_ERROR: {
    httpStatus: 200,
    when: 'anything unexpected; in production the message is masked and the detail is logged with the request id',
  },
  GRAPHQL_PARSE_FAILED: { httpStatus: 400, when: 'the document is not GraphQL' },
  GRAPHQL_VALIDATION_FAILED: { httpStatus: 400, when: 'the document does not fit the schema (unknown field, …)' },
  BAD_REQUEST: {
    httpStatus: 400,
    when: 'the request is not a GraphQL request: invalid JSON, a batch, no `content-type: application/json` (CSRF prevention)',
  },
  PAYLOAD_TOO_LARGE: { httpStatus: 413, when: 'a request body over 1 MiB' },
  PERSISTED_QUERY_NOT_FOUND: {
    httpStatus: 200,
    when: 'an automatic persisted query hash the router has not seen yet: send the document with it',
  },
} as const satisfies ErrorCodeDeclarations;

/** The platform's codes; a service's own are its business (userError takes any declared code). */
export type ErrorCode = keyof typeof PLATFORM_ERROR_CODES;

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

/**
 * Drops `extensions.stacktrace` (Apollo adds one outside production). A stack trace helps with an unexpected
 * error; on a deliberate one (bad input, no access) it only shows a client our files.
 */
export function withoutStacktrace(formatted: GraphQLFormattedError): GraphQLFormattedError {
  if (formatted.extensions?.stacktrace === undefined) return formatted;
  const { stacktrace: _dropped, ...extensions } = formatted.extensions;
  return { ...formatted, extensions };
}

/**
 * Mistakes of the client's as libraries word them, some without a code of their own (Apollo then calls them
 * INTERNAL_SERVER_ERROR): each reworded as ours, with the code it deserves.
 */
const LIBRARY_MISTAKES: [RegExp, ErrorCode, string][] = [
  [
    /^Too many errors processing variables/, // graphql-js stops listing at 50
    'BAD_USER_INPUT',
    'the variables hold more than 50 values that do not fit their types; correct them and send again',
  ],
  [
    /^This operation has been blocked as a potential Cross-Site Request Forgery/, // Apollo Server
    'BAD_REQUEST',
    'refused as a possible cross-site request forgery: send content-type: application/json, or for a GET the header apollo-require-preflight: true',
  ],
];

/** What a formatted error is once a library's wording of a client's mistake is replaced by ours. */
export function recodeLibraryMistakes(formatted: GraphQLFormattedError): GraphQLFormattedError {
  const mistake = LIBRARY_MISTAKES.find(([pattern]) => pattern.test(formatted.message));
  return mistake ? { message: mistake[2], extensions: { code: mistake[1] } } : formatted;
}
