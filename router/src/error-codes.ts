import type { ErrorCodeDeclarations } from '@shop/platform';

/** The codes only the router answers (README: "Errors", generated from these). */
export const ROUTER_ERROR_CODES = {
  QUERY_TOO_DEEP: { httpStatus: 400, when: 'the operation nests deeper than `MAX_DEPTH`' },
  TOO_MANY_ALIASES: { httpStatus: 400, when: 'more aliases than `MAX_ALIASES`' },
  TOO_MANY_ROOT_FIELDS: { httpStatus: 400, when: 'more root fields than `MAX_ROOT_FIELDS` (fragments counted once)' },
  TOO_MANY_DIRECTIVES: { httpStatus: 400, when: 'more directives than `MAX_DIRECTIVES`' },
  TOO_MANY_TOKENS: { httpStatus: 400, when: 'a document longer than `MAX_TOKENS` tokens' },
  QUERY_TOO_COMPLEX: {
    httpStatus: 400,
    when: "the operation's estimated cost (demand control: `@cost`, `@listSize`) is over `MAX_COST`",
  },
  UNAUTHORIZED_FIELD_OR_TYPE: {
    httpStatus: 200,
    when: 'a field marked `@authenticated` without a token, or `@requiresScopes` without those scopes (an admin field for a customer): the router leaves it out before any service is asked, the field (or, for one that cannot be null, its nearest nullable parent) is `null`, `path` says where, and the rest is answered',
  },
  PERSISTED_QUERY_NOT_IN_SAFELIST: {
    httpStatus: 400,
    when: 'with `PERSISTED_OPERATIONS=safelist`, an operation not in `operations/manifest.json`',
  },
  INCOMPLETE_DATA: {
    httpStatus: 200,
    when: 'a field could not be completed: its service answered nothing for a field that cannot be null (e.g. a referenced record removed by hand), or a value or type the API hides; `path` says where, the message says which, and the field (or, for a field that cannot be null, its nearest nullable parent) is `null`',
  },
} as const satisfies ErrorCodeDeclarations;

export type RouterErrorCode = keyof typeof ROUTER_ERROR_CODES;
