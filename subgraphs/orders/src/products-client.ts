import { userError } from '@shop/platform';
import { createSubgraphClient } from '@shop/subgraph-runtime';

export interface StockItem {
  productId: string;
  quantity: number;
}

export interface PricedItem extends StockItem {
  unitPrice: { amount: number; currency: string };
}

export type ReservationStatus = 'RESERVED' | 'COMMITTED' | 'RELEASED' | 'RETURNED';

/** What an order keeps of a product at purchase: today's price, and its name and SKU as they read now. */
export interface QuotedProduct {
  price: PricedItem['unitPrice'];
  name: string;
  sku: string;
}

/**
 * The products service said no (out of stock, unknown product, refused): nothing was taken. Any other
 * failure is a SubgraphUnavailable, where the outcome of a write is unknown.
 */
const DEFINITE: ReadonlySet<string> = new Set([
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'OUT_OF_STOCK',
  'PRODUCT_ARCHIVED',
  'CONFLICT',
]);

const QUOTE = `query Quote($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Product { id name sku archivedAt price { amount currency } } }
}`;
const RESERVE = `mutation Reserve($orderId: ID!, $items: [StockItemInput!]!) {
  reserveStock(orderId: $orderId, items: $items) { productId quantity unitPrice { amount currency } }
}`;
/** The messages that move a reservation; each answers the reservation's status afterwards. */
const MOVES = {
  releaseStock: 'mutation Release($orderId: ID!) { releaseStock(orderId: $orderId) }',
  commitStock: 'mutation Commit($orderId: ID!) { commitStock(orderId: $orderId) }',
  returnStock: 'mutation Return($orderId: ID!) { returnStock(orderId: $orderId) }',
} as const;
export type StockMessage = keyof typeof MOVES;
const STATUS = 'query Reservation($orderId: ID!) { stockReservation(orderId: $orderId) }';

/**
 * The orders service's explicit calls to the products subgraph: internal fields hidden from the supergraph,
 * authenticated with the internal API token (a client's token is not enough to move stock).
 */
export function createProductsClient(url: string, internalToken: string, timeoutMs = 5_000) {
  const call = createSubgraphClient({ service: 'products', url, internalToken, definiteCodes: DEFINITE, timeoutMs });
  return {
    /**
     * Today's prices, names and SKUs, through the products entity resolver (one batched lookup); NOT_FOUND for
     * unknown ids, PRODUCT_ARCHIVED for products no longer sold.
     */
    quote: async (productIds: string[], requestId: string): Promise<Map<string, QuotedProduct>> => {
      type Quoted = QuotedProduct & { id: string; archivedAt: string | null };
      const representations = productIds.map((id) => ({ __typename: 'Product', id }));
      const { _entities } = await call<{ _entities: (Quoted | null)[] }>(QUOTE, { representations }, requestId);
      const unknown = productIds.filter((_, index) => !_entities[index]);
      if (unknown.length > 0)
        throw userError('NOT_FOUND', `unknown product ${unknown.join(', ')}`, { productIds: unknown });
      const found = _entities as Quoted[];
      const archived = found.filter((product) => product.archivedAt);
      if (archived.length > 0) {
        throw userError('PRODUCT_ARCHIVED', `no longer sold: ${archived.map((product) => product.name).join(', ')}`, {
          productIds: archived.map((product) => product.id),
        });
      }
      return new Map(found.map(({ id, price, name, sku }) => [id, { price, name, sku }]));
    },
    reserveStock: async (orderId: string, items: StockItem[], requestId: string) =>
      (await call<{ reserveStock: PricedItem[] }>(RESERVE, { orderId, items }, requestId)).reserveStock,
    /** releaseStock, commitStock or returnStock: the reservation's status once products has handled it. */
    moveStock: async (message: StockMessage, orderId: string, requestId: string) =>
      (await call<Record<StockMessage, ReservationStatus>>(MOVES[message], { orderId }, requestId))[message],
    reservationStatus: async (orderId: string, requestId: string) =>
      (await call<{ stockReservation: ReservationStatus | null }>(STATUS, { orderId }, requestId)).stockReservation,
  };
}

export type ProductsClient = ReturnType<typeof createProductsClient>;
