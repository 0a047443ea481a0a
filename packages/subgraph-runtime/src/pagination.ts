import { badUserInput } from '@shop/platform';

export const PAGE_SIZE = { default: 20, max: 100 } as const;

/** A validated `first`/`after` pair. `after` is the decoded cursor: the sort value and id of the last row seen. */
export interface PageRequest {
  first: number;
  after: Cursor | null;
}

export type SortValue = string | number | Date;
export interface Cursor {
  value: SortValue;
  id: string;
}

export function pageRequest(args: { first?: number | null; after?: string | null }): PageRequest {
  const first = args.first ?? PAGE_SIZE.default;
  if (!Number.isInteger(first) || first < 0 || first > PAGE_SIZE.max) {
    throw badUserInput(`first must be between 0 and ${PAGE_SIZE.max} (got ${first})`, 'first');
  }
  return { first, after: args.after == null ? null : decodeCursor(args.after) };
}

// Cursors are opaque to clients: base64url of [kind, value, id].
export function encodeCursor(value: SortValue, id: string): string {
  const encoded =
    value instanceof Date ? ['d', value.toISOString(), id] : [typeof value === 'number' ? 'n' : 's', value, id];
  return Buffer.from(JSON.stringify(encoded)).toString('base64url');
}

function decodeCursor(cursor: string): Cursor {
  try {
    const [kind, value, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof id === 'string') {
      if (kind === 'd' && typeof value === 'string' && !Number.isNaN(Date.parse(value)))
        return { value: new Date(value), id };
      if (kind === 'n' && typeof value === 'number') return { value, id };
      if (kind === 's' && typeof value === 'string') return { value, id };
    }
  } catch {
    // fall through to the error below
  }
  throw badUserInput('after is not a cursor this API issued; use pageInfo.endCursor from a previous page', 'after');
}

/**
 * The Prisma `where` that continues after a cursor when rows are ordered by `field` then `id`, both in
 * `direction` (keyset pagination: stable under inserts, and served by the (field, id) indexes).
 */
export function afterCursor(field: string, direction: 'asc' | 'desc', after: Cursor | null): object {
  if (!after) return {};
  const beyond = direction === 'asc' ? 'gt' : 'lt';
  return {
    OR: [{ [field]: { [beyond]: after.value } }, { [field]: after.value, id: { [beyond]: after.id } }],
  };
}

export interface Connection<Node> {
  edges: { cursor: string; node: Node }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  /** A function, so the count query runs only when a client selects totalCount. */
  totalCount: () => Promise<number>;
}

/**
 * Builds a Relay connection from up to `first + 1` rows (the extra row only tells that another page exists).
 * With `loader`, the rows are put in the request's loader, so resolving them again as entities costs nothing.
 */
export function toConnection<Node extends { id: string }>(
  rows: Node[],
  page: PageRequest,
  sortValue: (node: Node) => SortValue,
  totalCount: () => Promise<number>,
  loader?: { prime(id: string, row: NoInfer<Node>): unknown },
): Connection<Node> {
  for (const row of loader ? rows : []) loader?.prime(row.id, row);
  const edges = rows.slice(0, page.first).map((node) => ({ cursor: encodeCursor(sortValue(node), node.id), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > page.first,
      hasPreviousPage: page.after !== null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount,
  };
}
