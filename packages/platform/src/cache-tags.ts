/**
 * The one format of cache tags (README: "Cache"). A subgraph's answer names what it read with them
 * (`extensions.cacheTags`), its committed changes name what they changed with the same tags, and the router
 * drops every cached fetch carrying a tag a change names.
 */
export const cacheTag = {
  /** That entity: `Product:<id>`. Read by every answer that shows it; changed by any change to its row. */
  entity: (typename: string, id: string) => `${typename}:${id}`,
  /**
   * Which entities of a type a list holds, or their order, along one dimension: `Product[category:<id>]`,
   * `Product[inStock]`, `Product[price]`, `Order[user:<id>]`, `Product[all]` (the lists no filter narrows).
   * A list reads one tag per dimension it depends on; a change names every dimension it moved.
   */
  list: (typename: string, dimension: string) => `${typename}[${dimension}]`,
};

/** What a subgraph's answer read: tags for the whole fetch, and per entity of an `_entities` fetch (by index). */
export interface CacheReads {
  fetch?: string[];
  entities?: Record<string, string[]>;
}
