/**
 * The one format of cache tags: the subgraphs say with them what a mutation changed (`extensions.invalidates`),
 * the router tags cached answers with them and drops what a change names (README: "Response cache").
 */
export const cacheTag = {
  /** That entity: `Product:<id>`. */
  entity: (typename: string, id: string) => `${typename}:${id}`,
  /** Some entity of the type whose id the answer did not select: `Product?` (any change to a Product drops it). */
  someEntity: (typename: string) => `${typename}?`,
  /** Which entities of the type a list holds, or their order: `Product[]`. */
  lists: (typename: string) => `${typename}[]`,
  /** The type of an entity tag (`Product:<id>` → `Product`); null for other tags. */
  typeOfEntity: (tag: string): string | null => {
    const separator = tag.indexOf(':');
    return separator > 0 ? tag.slice(0, separator) : null;
  },
};
