/**
 * The storefront's GraphQL client: fetch with typed documents. Each document generated from operations/ holds
 * only its hash, so a request is `{ variables, extensions: { persistedQuery: { sha256Hash } } }` and the router
 * fills in the document from its manifest; in safelist mode it runs nothing else.
 */
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { createClient } from 'graphql-sse';
import { meros } from 'meros/browser';
import { session } from './session.js';

/** Codes that asking again would get again (signed out, account closed, not allowed). */
const REFUSALS = ['UNAUTHENTICATED', 'FORBIDDEN', 'UNAUTHORIZED_FIELD_OR_TYPE'];

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

/**
 * Runs an operation. An operation with deferred fragments (`@defer`) is answered in parts: `onPart` gets what
 * has come so far after each part (the first part holds what was not deferred), and the promise the whole.
 */
export async function execute<Data, Variables>(
  document: TypedDocumentNode<Data, Variables>,
  variables: Variables,
  signal?: AbortSignal,
  onPart?: (sofar: Result<Data>) => void,
): Promise<Result<Data>> {
  const token = session.get()?.token;
  let response: Response;
  try {
    response = await fetch(GRAPHQL_PATH, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'multipart/mixed;deferSpec=20220824, application/graphql-response+json, application/json',
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
  let result: Result<Data>;
  try {
    const parts = await meros<Payload<Data>>(response);
    if (parts instanceof Response) {
      const body = (await parts.json()) as Payload<Data>;
      result = { data: body.data ?? null, errors: body.errors ?? [] };
    } else {
      result = { data: null, errors: [] };
      for await (const part of parts) {
        result = withPayload(result, part.body);
        onPart?.(result);
      }
    }
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new NetworkError(`the shop answered ${response.status} without a GraphQL result: try again`);
  }
  // A token the API no longer accepts (expired, account closed): sign out here too, and the page asks to log in.
  if (token && result.errors.some((error) => error.extensions?.code === 'UNAUTHENTICATED')) session.clear();
  return result;
}

/** A payload of an answer: a whole one, the first part of an incremental one, or a later part. */
interface Payload<Data> {
  data?: Data | null;
  errors?: GraphQLErrorShape[];
  incremental?: { data: Record<string, unknown> | null; path: (string | number)[]; errors?: GraphQLErrorShape[] }[];
  hasNext?: boolean;
}

/** What a client holds after one more part: each deferred part's data merged in where it belongs. */
function withPayload<Data>(sofar: Result<Data>, payload: Payload<Data>): Result<Data> {
  if (payload.data !== undefined)
    return { data: payload.data ?? null, errors: [...sofar.errors, ...(payload.errors ?? [])] };
  const data = structuredClone(sofar.data) as Record<string | number, unknown> | null;
  const errors = [...sofar.errors, ...(payload.errors ?? [])];
  for (const entry of payload.incremental ?? []) {
    errors.push(...(entry.errors ?? []));
    let target: unknown = data;
    for (const key of entry.path) target = (target as Record<string | number, unknown> | null)?.[key];
    if (target && entry.data) Object.assign(target, entry.data);
  }
  return { data: data as Data | null, errors };
}

/**
 * Follows a subscription over GraphQL over SSE (graphql-sse) through the storefront's /graphql. When the stream
 * drops (a router restarting, the network), it subscribes again with `resume` (what to ask for after the last
 * result, e.g. its sequence), so nothing is missed or repeated. Answers a function that stops following.
 */
export function follow<Data, Variables>(
  document: TypedDocumentNode<Data, Variables>,
  variables: Variables,
  onResult: (result: Result<Data>) => void,
  resume: (last: Data) => Variables,
): () => void {
  let stopped = false;
  let current = variables;
  const client = createClient({
    url: GRAPHQL_PATH,
    retryAttempts: 0,
    headers: (): Record<string, string> => {
      const token = session.get()?.token;
      return token ? { authorization: `Bearer ${token}` } : {};
    },
  });
  let iterator: AsyncIterableIterator<{ data?: unknown; errors?: unknown }> | null = null;
  (async () => {
    while (!stopped) {
      try {
        // The hash only, as for every other operation: the router fills in the document.
        const request = {
          variables: current as Record<string, unknown>,
          extensions: { persistedQuery: { version: 1, sha256Hash: hashOf(document) } },
        };
        iterator = client.iterate(request as typeof request & { query: string });
        for await (const payload of iterator) {
          const result: Result<Data> = {
            data: (payload.data ?? null) as Data | null,
            errors: (payload.errors ?? []) as GraphQLErrorShape[],
          };
          if (result.data) current = resume(result.data);
          onResult(result);
          // Refused (signed out, account closed): asking again would be refused too.
          if (result.errors.some((error) => REFUSALS.includes(error.extensions?.code ?? ''))) {
            stopped = true;
          }
        }
      } catch {
        // Dropped: subscribe again shortly, from the last result.
      }
      if (!stopped) await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  })();
  return () => {
    stopped = true;
    void iterator?.return?.();
    client.dispose();
  };
}

/** The first error with this code, if any. */
export const errorWithCode = (errors: GraphQLErrorShape[], code: string) =>
  errors.find((error) => error.extensions?.code === code);
