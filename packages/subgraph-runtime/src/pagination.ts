import { createHmac, timingSafeEqual } from 'node:crypto';
import { badUserInput } from '@shop/platform';
import { type GraphQLResolveInfo, Kind, type SelectionSetNode } from 'graphql';

export const PAGE_SIZE = { default: 20, max: 100 } as const;

/**
 * A validated `first`/`after` pair for one list. `after` is the decoded cursor: the sort value and id of the
 * last row seen; `cursorOf` makes the cursors of the page's rows, for the same list.
 */
export interface PageRequest {
  first: number;
  after: Cursor | null;
  /** Whether the client selected `totalCount`: a count nobody asked for is not run. */
  withCount: boolean;
  cursorOf: (value: SortValue, id: string) => string;
}

export type SortValue = string | number | Date;
export interface Cursor {
  value: SortValue;
  id: string;
}

export type PageArguments = { first?: number | null; after?: string | null };

/**
 * Cursors are opaque to clients and tamper-evident: base64url of `[list, kind, value, id]`, a dot, and an
 * HMAC of that under a key derived from the services' shared secret. A cursor continues only the list, and
 * ordering, that issued it (`list` names both, e.g. `products:PRICE_ASC`), so a cursor from another list or
 * ordering, or one edited by hand, is BAD_USER_INPUT and never reaches a query.
 */
export function cursorCodec(secret: string) {
  const key = createHmac('sha256', secret).update('shop-supergraph pagination cursors').digest();
  const signatureOf = (payload: string) => createHmac('sha256', key).update(payload).digest().subarray(0, 16);

  const encode = (list: string, value: SortValue, id: string) => {
    const [kind, plain] =
      value instanceof Date ? ['d', value.toISOString()] : [typeof value === 'number' ? 'n' : 's', value];
    const payload = Buffer.from(JSON.stringify([list, kind, plain, id])).toString('base64url');
    return `${payload}.${signatureOf(payload).toString('base64url')}`;
  };

  const decode = (list: string, cursor: string): Cursor => {
    const [payload = '', signature = '', ...rest] = cursor.split('.');
    const presented = Buffer.from(signature, 'base64url');
    const expected = signatureOf(payload);
    if (rest.length > 0 || presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
      throw badUserInput('after is not a cursor this API issued; use pageInfo.endCursor from a previous page', 'after');
    }
    const [issuedFor, kind, value, id] = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as [
      string,
      string,
      string | number,
      string,
    ];
    if (issuedFor !== list) {
      throw badUserInput(
        `after is a cursor of another list (${issuedFor}, not ${list}); a cursor continues only the list and ordering that issued it`,
        'after',
      );
    }
    return { value: kind === 'd' ? new Date(value) : value, id };
  };

  return {
    /**
     * The page `args` ask for in `list` (which names the list and its ordering). With the resolver's `info`, the
     * count is asked for only when the client selected `totalCount`.
     */
    pageRequest(args: PageArguments, list: string, info?: GraphQLResolveInfo): PageRequest {
      const first = args.first ?? PAGE_SIZE.default;
      if (!Number.isInteger(first) || first < 0 || first > PAGE_SIZE.max) {
        throw badUserInput(`first must be between 0 and ${PAGE_SIZE.max} (got ${first})`, 'first');
      }
      return {
        first,
        after: args.after == null ? null : decode(list, args.after),
        withCount: info ? selectsField(info, 'totalCount') : true,
        cursorOf: (value, id) => encode(list, value, id),
      };
    },
  };
}

export type PageRequester = ReturnType<typeof cursorCodec>['pageRequest'];

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

/** Whether the field being resolved selects `name` (directly, or in a fragment on it). */
export function selectsField(info: GraphQLResolveInfo, name: string): boolean {
  const visit = (selectionSet: SelectionSetNode | undefined): boolean =>
    (selectionSet?.selections ?? []).some((selection) => {
      if (selection.kind === Kind.FIELD) return selection.name.value === name;
      if (selection.kind === Kind.INLINE_FRAGMENT) return visit(selection.selectionSet);
      return visit(info.fragments[selection.name.value]?.selectionSet);
    });
  return info.fieldNodes.some((node) => visit(node.selectionSet));
}

/**
 * Builds a Relay connection from up to `first + 1` rows (the extra row only tells that another page exists).
 * With `loader`, the rows are put in the request's loader, so resolving them again as entities costs nothing.
 * Cursors are signed only when a client reads them (getters): most read `endCursor` at most.
 */
export function toConnection<Node extends { id: string }>(
  rows: Node[],
  page: PageRequest,
  sortValue: (node: Node) => SortValue,
  totalCount: () => Promise<number>,
  loader?: { prime(id: string, row: NoInfer<Node>): unknown },
): Connection<Node> {
  for (const row of loader ? rows : []) loader?.prime(row.id, row);
  const nodes = rows.slice(0, page.first);
  const cursorOf = (node: Node | undefined) => (node ? page.cursorOf(sortValue(node), node.id) : null);
  return {
    edges: nodes.map((node) => ({
      node,
      get cursor() {
        return cursorOf(node) as string;
      },
    })),
    pageInfo: {
      hasNextPage: rows.length > page.first,
      hasPreviousPage: page.after !== null,
      get startCursor() {
        return cursorOf(nodes[0]);
      },
      get endCursor() {
        return cursorOf(nodes.at(-1));
      },
    },
    totalCount,
  };
}
