import type { ApolloServerPlugin } from '@apollo/server';
import type { CacheReads } from '@shop/platform';
import { cacheTag } from '@shop/platform';
import { type GraphQLResolveInfo, getNamedType, isLeafType } from 'graphql';

/**
 * What an answer read, told to the router so it can tag the fetch it caches (README: "Cache"): each entity of a
 * type this subgraph owns that a resolver looked at (`Product:<id>`), and the list dimensions a list result
 * depends on (`Product[category:<id>]`), which the service marks on the list it returns (`readsList`). In an
 * `_entities` fetch, each read is put under the representation it was made for, so the router can cache each
 * entity on its own and drop one without the others.
 */
const LIST_READS = Symbol('list reads');

type Marked = { [LIST_READS]?: string[] };

/** Marks a list result (a connection or an array) with the list tags it depends on; returns it. */
export function readsList<Value extends object>(value: Value, tags: string[]): Value {
  (value as Marked)[LIST_READS] = tags;
  return value;
}

/** Records a read a resolver made that its result cannot show (a lookup by SKU that found nothing). */
export function readKey(context: { reads: Reads }, info: GraphQLResolveInfo, tag: string): void {
  context.reads.add(entityIndexOf(info.path), tag);
}

/** One request's reads: for the whole answer, and per `_entities` index. */
export class Reads {
  private readonly fetch = new Set<string>();
  private readonly entities = new Map<number, Set<string>>();

  add(entity: number | null, tag: string): void {
    if (entity === null) {
      this.fetch.add(tag);
      return;
    }
    const tags = this.entities.get(entity) ?? new Set<string>();
    this.entities.set(entity, tags.add(tag));
  }

  toJSON(): CacheReads | null {
    if (this.fetch.size === 0 && this.entities.size === 0) return null;
    const reads: CacheReads = {};
    if (this.fetch.size > 0) reads.fetch = [...this.fetch];
    if (this.entities.size > 0) {
      reads.entities = Object.fromEntries([...this.entities].map(([index, tags]) => [String(index), [...tags]]));
    }
    return reads;
  }
}

/** `_entities.<i>.…` → i; any other path → null (the whole fetch). */
function entityIndexOf(path: GraphQLResolveInfo['path']): number | null {
  let below: GraphQLResolveInfo['path'] | undefined;
  let at: GraphQLResolveInfo['path'] | undefined = path;
  while (at.prev) {
    below = at;
    at = at.prev;
  }
  return at.key === '_entities' && typeof below?.key === 'number' ? below.key : null;
}

/**
 * Puts each request's reads into `extensions.cacheTags`. `entityTypes`: the types whose rows this subgraph owns
 * (a field resolved on one of them reads it); types it only references are left to their owner.
 */
export function reportReads<Context extends { reads: Reads }>(entityTypes: string[]): ApolloServerPlugin<Context> {
  const owned = new Set(entityTypes);
  return {
    async requestDidStart({ contextValue }) {
      const { reads } = contextValue;
      return {
        async executionDidStart() {
          return {
            willResolveField({ source, info }) {
              const parent = source as { id?: unknown } | null;
              if (owned.has(info.parentType.name) && parent && typeof parent.id === 'string') {
                reads.add(entityIndexOf(info.path), cacheTag.entity(info.parentType.name, parent.id));
              }
              if (isLeafType(getNamedType(info.returnType))) return; // only lists and objects carry list reads
              return (error, result) => {
                const listed = !error && result ? (result as Marked)[LIST_READS] : undefined;
                if (!listed) return;
                const entity = entityIndexOf(info.path);
                for (const tag of listed) reads.add(entity, tag);
              };
            },
          };
        },
        async willSendResponse({ response }) {
          const cacheTags = reads.toJSON();
          if (!cacheTags || response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          result.extensions = { ...result.extensions, cacheTags };
        },
      };
    },
  };
}
