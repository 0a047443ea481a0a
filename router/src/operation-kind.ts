import { getOperationAST, parse } from 'graphql';

export type OperationKind = 'query' | 'mutation' | 'subscription';

/** Set by the router on each subgraph request for its own fetch policy, and removed before it is sent. */
export const OPERATION_KIND_HEADER = 'x-shop-operation-kind';

// The gateway sends a bounded set of subgraph operations (one per query plan node): remembering them is cheap.
const kinds = new Map<string, OperationKind>();
const REMEMBERED = 5_000;

/**
 * What a GraphQL document does, read from the document itself (not guessed from its text): a comment, a
 * fragment first or the word "mutation" in a string cannot fool it. A document that does not parse counts as
 * a mutation, the cautious choice (never retried, never shared).
 */
export function operationKind(query: string, operationName?: string | null): OperationKind {
  const key = `${operationName ?? ''}\n${query}`;
  let kind = kinds.get(key);
  if (!kind) {
    try {
      kind = getOperationAST(parse(query), operationName)?.operation ?? 'mutation';
    } catch {
      kind = 'mutation';
    }
    if (kinds.size >= REMEMBERED) kinds.clear();
    kinds.set(key, kind);
  }
  return kind;
}
