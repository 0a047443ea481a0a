import { type ErrorCode, userError } from '@shop/subgraph-kit';
import { GraphQLError } from 'graphql';

export interface StockItem {
  productId: string;
  quantity: number;
}

export interface PricedItem extends StockItem {
  unitPrice: { amount: number; currency: string };
}

export type ReservationStatus = 'RESERVED' | 'COMMITTED' | 'RELEASED';

/**
 * The products service said no (out of stock, unknown product, refused): nothing was taken. Any other
 * failure is a ProductsUnavailable, where the outcome of a write is unknown.
 */
const DEFINITE: ReadonlySet<string> = new Set<ErrorCode>(['BAD_USER_INPUT', 'NOT_FOUND', 'OUT_OF_STOCK', 'CONFLICT']);

export class ProductsUnavailable extends Error {
  override readonly name = 'ProductsUnavailable';
}

const QUOTE = `query Quote($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Product { id price { amount currency } } }
}`;
const RESERVE = `mutation Reserve($orderId: ID!, $items: [StockItemInput!]!) {
  reserveStock(orderId: $orderId, items: $items) { productId quantity unitPrice { amount currency } }
}`;
const RELEASE = 'mutation Release($orderId: ID!) { releaseStock(orderId: $orderId) }';
const COMMIT = 'mutation Commit($orderId: ID!) { commitStock(orderId: $orderId) }';
const STATUS = 'query Reservation($orderId: ID!) { stockReservation(orderId: $orderId) }';

/**
 * The orders service's explicit calls to the products subgraph: internal fields hidden from the supergraph,
 * authenticated with the internal API token (a client's token is not enough to move stock).
 */
export function createProductsClient(url: string, internalToken: string, timeoutMs = 5_000) {
  async function call<Data>(query: string, variables: object, requestId: string): Promise<Data> {
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-internal-token': internalToken, 'x-request-id': requestId },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new ProductsUnavailable(`products service unreachable: ${(error as Error).message}`);
    }
    const body = (await response.json().catch(() => null)) as {
      data?: Data;
      errors?: { message: string; extensions?: { code?: string } }[];
    } | null;
    const failure = body?.errors?.[0];
    if (failure) {
      const code = failure.extensions?.code ?? '';
      if (DEFINITE.has(code)) throw userError(code as ErrorCode, failure.message, failure.extensions);
      throw new ProductsUnavailable(`products service failed: ${failure.message}`);
    }
    if (!body?.data) throw new ProductsUnavailable(`products service answered HTTP ${response.status} without data`);
    return body.data;
  }

  return {
    /** Today's prices, through the products entity resolver (one batched lookup); NOT_FOUND for unknown ids. */
    quote: async (productIds: string[], requestId: string) => {
      const representations = productIds.map((id) => ({ __typename: 'Product', id }));
      const { _entities } = await call<{ _entities: ({ id: string; price: PricedItem['unitPrice'] } | null)[] }>(
        QUOTE,
        { representations },
        requestId,
      );
      const unknown = productIds.filter((_, index) => !_entities[index]);
      if (unknown.length > 0)
        throw userError('NOT_FOUND', `unknown product ${unknown.join(', ')}`, { productIds: unknown });
      return new Map(_entities.map((entity) => [entity?.id as string, entity?.price as PricedItem['unitPrice']]));
    },
    reserveStock: async (orderId: string, items: StockItem[], requestId: string) =>
      (await call<{ reserveStock: PricedItem[] }>(RESERVE, { orderId, items }, requestId)).reserveStock,
    releaseStock: async (orderId: string, requestId: string) =>
      (await call<{ releaseStock: boolean }>(RELEASE, { orderId }, requestId)).releaseStock,
    commitStock: async (orderId: string, requestId: string) => {
      await call(COMMIT, { orderId }, requestId);
    },
    reservationStatus: async (orderId: string, requestId: string) =>
      (await call<{ stockReservation: ReservationStatus | null }>(STATUS, { orderId }, requestId)).stockReservation,
  };
}

export type ProductsClient = ReturnType<typeof createProductsClient>;

export const serviceUnavailable = (message: string) =>
  new GraphQLError(message, { extensions: { code: 'SERVICE_UNAVAILABLE' } });
