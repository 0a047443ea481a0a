/**
 * The storefront's GraphQL client: fetch with typed documents. Each document generated from operations/ holds
 * only its hash, so a request is `{ variables, extensions: { persistedQuery: { sha256Hash } } }` and the router
 * fills in the document from its manifest; in safelist mode it runs nothing else.
 */
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { session } from './session.js';

export const GRAPHQL_PATH = '/graphql';

export interface GraphQLErrorShape {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; serviceName?: string; field?: string; productIds?: string[]; [key: string]: unknown };
}

/** What one request gave: data (possibly partial) and errors, both possibly present. */
export interface Result<Data> {
  data: Data | null;
  errors: GraphQLErrorShape[];
}

/** The request got no GraphQL answer (network down, proxy error): nothing is known about a mutation's outcome. */
export class NetworkError extends Error {}

/** The hash a generated document holds (operations.generated.ts), in place of its text. */
const hashOf = (document: unknown) => (document as { __meta__: { hash: string } }).__meta__.hash;

export async function execute<Data, Variables>(
  document: TypedDocumentNode<Data, Variables>,
  variables: Variables,
  signal?: AbortSignal,
): Promise<Result<Data>> {
  const token = session.get()?.token;
  let response: Response;
  try {
    response = await fetch(GRAPHQL_PATH, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify({
        variables,
        extensions: {
          persistedQuery: { version: 1, sha256Hash: hashOf(document) },
        },
      }),
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new NetworkError('the shop could not be reached: check your connection and try again');
  }
  let body: { data?: Data | null; errors?: GraphQLErrorShape[] };
  try {
    body = await response.json();
  } catch {
    throw new NetworkError(`the shop answered ${response.status} without a GraphQL result: try again`);
  }
  const errors = body.errors ?? [];
  // A token the API no longer accepts (expired, account closed): sign out here too, and the page asks to log in.
  if (token && errors.some((error) => error.extensions?.code === 'UNAUTHENTICATED')) session.clear();
  return { data: body.data ?? null, errors };
}

/** The first error with this code, if any. */
export const errorWithCode = (errors: GraphQLErrorShape[], code: string) =>
  errors.find((error) => error.extensions?.code === code);
