import type { ApolloServerPlugin } from '@apollo/server';
import { cacheTag } from '@shop/platform';

/**
 * What a mutation changed, told to the router so its response cache drops the answers that showed it
 * (README: "Response cache"). A subgraph knows what it changed better than the router could guess from
 * a mutation's answer: placing an order moves the stock of products the client may never have selected.
 *
 * Tags: `Product:<id>` — that product changed (answers showing it are dropped); `Product[]` — which products
 * a list holds, or their order, may have changed (every cached answer with a list of products is dropped).
 */
export class Changes {
  readonly tags = new Set<string>();

  /** The entity `typename` with this id changed. */
  entity(typename: string, id: string): void {
    this.tags.add(cacheTag.entity(typename, id));
  }

  /** Lists of `typename` may now hold other entities, or order them differently (created, deleted, re-sorted). */
  lists(typename: string): void {
    this.tags.add(cacheTag.lists(typename));
  }
}

/** Puts what the request changed into `extensions.invalidates`, where the router reads it. */
export function reportChanges<Context extends { changes: Changes }>(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart({ contextValue }) {
      return {
        async willSendResponse({ response }) {
          if (contextValue.changes.tags.size === 0 || response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          result.extensions = { ...result.extensions, invalidates: [...contextValue.changes.tags] };
        },
      };
    },
  };
}
