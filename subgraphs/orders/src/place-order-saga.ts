import { createHash } from 'node:crypto';
import { type ErrorCode, type Logger, userError } from '@shop/subgraph-kit';
import type { GraphQLError } from 'graphql';
import {
  type PricedItem,
  type ProductsClient,
  ProductsUnavailable,
  type StockItem,
  serviceUnavailable,
} from './products-client.js';
import type { OrderRepository, OrderWithItems } from './repository.js';

/** How long a duplicate request waits for the first one's outcome, and how it polls. */
const DUPLICATE_WAIT = { totalMs: 15_000, everyMs: 50 } as const;

/** The same items in any order and split any way hash the same: that is "the same payload". */
export function requestHashOf(items: StockItem[]): string {
  const normalised = [...items].sort((a, b) => a.productId.localeCompare(b.productId));
  return createHash('sha256').update(JSON.stringify(normalised)).digest('hex');
}

/**
 * Placing an order across two databases (see docs/ORDER-SAGA.md): the order is stored PENDING first, products
 * reserves its stock (all items or none) under the order's id, the order is CONFIRMED, and the reservation
 * committed. Every step is idempotent by the order id and recorded in orders.stock_state, so a failure at any
 * point is compensated (stock released, order CANCELLED with a reason) now or by the recovery sweep later.
 */
export function createPlaceOrderSaga(repository: OrderRepository, products: ProductsClient, log: Logger) {
  const reload = async (id: string) => (await repository.findOrdersByIds([id]))[0] as OrderWithItems;

  /** Cancels a PENDING order whose stock was not (or is no longer) taken, recording why. */
  async function cancelPending(order: OrderWithItems, reason: string, failureCode: ErrorCode, requestId: string) {
    await repository.changeStatus(order.id, ['PENDING'], { status: 'CANCELLED', cancelReason: reason, failureCode });
    await releaseStock(order.id, requestId);
  }

  /** Gives the order's stock back (or forbids taking it), and records that; a failure is left to the sweep. */
  async function releaseStock(orderId: string, requestId: string): Promise<boolean> {
    try {
      await products.releaseStock(orderId, requestId);
      await repository.setStockState(orderId, 'RELEASED');
      return true;
    } catch (error) {
      log.warn({ err: error, orderId, requestId }, 'could not release stock; the recovery sweep will retry');
      return false;
    }
  }

  async function commitStock(orderId: string, requestId: string): Promise<void> {
    try {
      await products.commitStock(orderId, requestId);
      await repository.setStockState(orderId, 'COMMITTED');
    } catch (error) {
      log.warn({ err: error, orderId, requestId }, 'could not commit stock; the recovery sweep will retry');
    }
  }

  /** PENDING → CONFIRMED at the prices products charged, then commit; gives stock back if cancelled meanwhile. */
  async function confirm(order: OrderWithItems, reserved: PricedItem[], requestId: string): Promise<OrderWithItems> {
    const prices = new Map(reserved.map((item) => [item.productId, item.unitPrice.amount]));
    const total = reserved.reduce((sum, item) => sum + item.quantity * item.unitPrice.amount, 0);
    if (await repository.confirmOrder(order.id, prices, total)) await commitStock(order.id, requestId);
    else await releaseStock(order.id, requestId); // cancelled while we reserved: the stock goes back
    return reload(order.id);
  }

  /** What a repeated request with the same key gets: the first request's order, or its error. */
  async function outcomeOf(order: OrderWithItems, requestHash: string): Promise<OrderWithItems> {
    if (order.requestHash !== requestHash) {
      throw userError(
        'CONFLICT',
        'this idempotencyKey was used for an order with other items; use a new key for a new order',
      );
    }
    let current = order;
    for (
      let waited = 0;
      current.status === 'PENDING' && waited < DUPLICATE_WAIT.totalMs;
      waited += DUPLICATE_WAIT.everyMs
    ) {
      await new Promise((resolve) => setTimeout(resolve, DUPLICATE_WAIT.everyMs));
      current = await reload(order.id);
    }
    if (current.status === 'CANCELLED' && current.failureCode) {
      throw userError(current.failureCode as ErrorCode, current.cancelReason ?? 'the order could not be placed');
    }
    return current;
  }

  return {
    outcomeOf,

    place: async (userId: string, items: StockItem[], idempotencyKey: string | null, requestId: string) => {
      const requestHash = requestHashOf(items);
      // Unknown products fail here, before any order exists; unreachable products too.
      const quote = await products
        .quote(
          items.map((item) => item.productId),
          requestId,
        )
        .catch((error: unknown) => {
          throw error instanceof ProductsUnavailable
            ? serviceUnavailable(`${error.message}; no order was placed`)
            : error;
        });
      const currencies = new Set([...quote.values()].map((price) => price.currency));
      if (currencies.size !== 1)
        throw userError('BAD_USER_INPUT', 'all items of an order must be priced in one currency');

      let order: OrderWithItems;
      try {
        order = await repository.createOrder({
          userId,
          idempotencyKey,
          requestHash,
          status: 'PENDING',
          stockState: 'UNKNOWN',
          currency: [...currencies][0] as string,
          totalAmount: items.reduce((sum, item) => sum + item.quantity * (quote.get(item.productId)?.amount ?? 0), 0),
          items: {
            create: items.map((item) => ({ ...item, unitPriceAmount: quote.get(item.productId)?.amount ?? 0 })),
          },
        });
      } catch (error) {
        // Another request with the same key stored its order first: that one is the answer.
        const winner = idempotencyKey && (await repository.findOrderByIdempotencyKey(userId, idempotencyKey));
        if (winner) return outcomeOf(winner, requestHash);
        throw error;
      }

      let reserved: PricedItem[];
      try {
        reserved = await products.reserveStock(order.id, items, requestId);
      } catch (error) {
        if (error instanceof ProductsUnavailable) {
          // Maybe reserved, maybe not: releasing gives it back if it was, and forbids it if it comes late.
          const reason = `${error.message}; the order was cancelled`;
          await cancelPending(order, reason, 'SERVICE_UNAVAILABLE', requestId);
          throw serviceUnavailable(`${error.message}; the order was not placed, try again`);
        }
        const graphQLError = error as GraphQLError;
        const code = (graphQLError.extensions?.code as ErrorCode | undefined) ?? 'INTERNAL_SERVER_ERROR';
        await cancelPending(order, graphQLError.message, code, requestId);
        throw error;
      }
      return confirm(order, reserved, requestId);
    },

    /** Cancels a PENDING or CONFIRMED order; only the request that cancels it gives the stock back. */
    cancel: async (order: OrderWithItems, reason: string, requestId: string) => {
      if (
        await repository.changeStatus(order.id, ['PENDING', 'CONFIRMED'], { status: 'CANCELLED', cancelReason: reason })
      ) {
        await releaseStock(order.id, requestId);
      }
      return reload(order.id);
    },

    /**
     * Finishes what interrupted sagas left: commits stock of CONFIRMED orders, gives back stock of CANCELLED
     * ones, and settles PENDING orders older than `pendingTimeoutMs` — finished when products holds their
     * stock, cancelled (and the stock forbidden) when it does not. Safe to run anywhere, any time, in parallel.
     */
    recover: async (pendingTimeoutMs: number): Promise<number> => {
      const requestId = `recovery-${Date.now()}`;
      const unfinished = await repository.findUnfinishedOrders(new Date(Date.now() - pendingTimeoutMs));
      for (const order of unfinished) {
        try {
          if (order.status === 'CONFIRMED') await commitStock(order.id, requestId);
          else if (order.status === 'CANCELLED') await releaseStock(order.id, requestId);
          else if ((await products.reservationStatus(order.id, requestId)) === 'RESERVED') {
            const items = order.items.map((item) => ({ productId: item.productId, quantity: item.quantity }));
            await confirm(order, await products.reserveStock(order.id, items, requestId), requestId);
          } else {
            await cancelPending(
              order,
              'placing the order was interrupted; nothing was charged',
              'SERVICE_UNAVAILABLE',
              requestId,
            );
          }
        } catch (error) {
          log.warn({ err: error, orderId: order.id }, 'recovery: order left for the next sweep');
        }
      }
      if (unfinished.length > 0) log.info({ orders: unfinished.length }, 'recovery sweep settled unfinished orders');
      return unfinished.length;
    },
  };
}

export type PlaceOrderSaga = ReturnType<typeof createPlaceOrderSaga>;
