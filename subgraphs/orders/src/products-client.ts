import { type ErrorCode, userError } from '@shop/subgraph-kit';
import { GraphQLError } from 'graphql';

export interface StockItem {
  productId: string;
  quantity: number;
}

export interface ReservedItem extends StockItem {
  unitPrice: { amount: number; currency: string };
}

const RESERVE = `mutation ReserveStock($items: [StockItemInput!]!) {
  reserveStock(items: $items) { productId quantity unitPrice { amount currency } }
}`;
const RELEASE = `mutation ReleaseStock($items: [StockItemInput!]!) { releaseStock(items: $items) }`;
const RELAYED: ReadonlySet<string> = new Set<ErrorCode>([
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'OUT_OF_STOCK',
  'UNAUTHENTICATED',
]);

/**
 * The orders service's explicit calls to the products subgraph (internal fields, not in the supergraph),
 * made as the signed-in user so products can check who asks.
 */
export function createProductsClient(url: string) {
  async function call<Data>(query: string, variables: object, authorization: string, requestId: string): Promise<Data> {
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization, 'x-request-id': requestId },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      throw unavailable(`products service unreachable: ${(error as Error).message}`);
    }
    const body = (await response.json().catch(() => null)) as {
      data?: Data;
      errors?: { message: string; extensions?: { code?: string } }[];
    } | null;
    const failure = body?.errors?.[0];
    if (failure) {
      const code = failure.extensions?.code ?? '';
      if (RELAYED.has(code)) throw userError(code as ErrorCode, failure.message, failure.extensions);
      throw unavailable(`products service failed: ${failure.message}`);
    }
    if (!body?.data) throw unavailable(`products service answered HTTP ${response.status} without data`);
    return body.data;
  }

  return {
    reserveStock: async (items: StockItem[], authorization: string, requestId: string) =>
      (await call<{ reserveStock: ReservedItem[] }>(RESERVE, { items }, authorization, requestId)).reserveStock,
    releaseStock: async (items: StockItem[], authorization: string, requestId: string) => {
      await call(RELEASE, { items }, authorization, requestId);
    },
  };
}

export type ProductsClient = ReturnType<typeof createProductsClient>;

const unavailable = (message: string) =>
  new GraphQLError(`${message}; the order was not placed, try again shortly`, {
    extensions: { code: 'SERVICE_UNAVAILABLE' },
  });
