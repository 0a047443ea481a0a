import { createHash } from 'node:crypto';
import { type Logger, userError } from '@shop/platform';
import { SubgraphUnavailable, serviceUnavailable } from '@shop/subgraph-runtime';
import type { GraphQLError } from 'graphql';
import { ORDER_TRANSITIONS, type Settlement, settlementFor } from './order-states.js';
import type { PricedItem, ProductsClient, StockItem } from './products-client.js';
import { type OrderRepository, type OrderWithItems, orderNumber } from './repository.js';

/** How long a duplicate request waits for the first one's outcome, and how it polls. */
const DUPLICATE_WAIT = { totalMs: 15_000, everyMs: 50 } as const;
/** A settled order takes at most this many settlements (return: commit, then return); more means a bug. */
const MAX_SETTLEMENTS = 3;
const SWEEP_BATCH = 100;
/** The largest amount Money.amount (a GraphQL Int, 32 bits) and the totals column hold. */
const MAX_AMOUNT = 2 ** 31 - 1;
const INTERRUPTED = 'placing the order was interrupted; nothing was charged';

/** The same items in any order and split any way hash the same: that is "the same payload". */
export function requestHashOf(items: StockItem[]): string {
  const normalised = [...items].sort((a, b) => a.productId.localeCompare(b.productId));
  return createHash('sha256').update(JSON.stringify(normalised)).digest('hex');
}

export interface SagaOptions {
  /** Names this process in claims (host and pid), so a claim says who holds it. */
  workerId: string;
  /** How long a claim on an order lasts: a PENDING order quiet this long is taken over by the sweep. */
  claimMs: number;
}

/**
 * Placing an order across two databases (docs/ORDER-SAGA.md). Every change of an order is one of the
 * transitions in order-states.ts, applied as a compare-and-set, so any interleaving of requests, sweeps and
 * crashes leaves the order in one agreed state: a worker that loses a race re-reads and follows the winner.
 * Decisions (confirm, cancel, ship) are taken first, in the orders database; settlements then make products
 * agree (commit, release, return). A claim keeps other workers from settling the same order at the same time.
 */
export function createPlaceOrderSaga(
  repository: OrderRepository,
  products: ProductsClient,
  log: Logger,
  { workerId, claimMs }: SagaOptions,
) {
  let sweeps = 0;
  const reload = async (id: string) => (await repository.findOrdersByIds([id]))[0] as OrderWithItems;

  /** Sends products the messages a settlement needs; applies it once products answers the expected state. */
  async function applySettlement(order: OrderWithItems, name: Settlement, requestId: string): Promise<void> {
    const { messages, products: expected } = ORDER_TRANSITIONS[name];
    let status: string | null = null;
    for (const message of messages) status = await products.moveStock(message, order.id, requestId);
    if (status !== expected) {
      throw new Error(`products answered ${status} to ${messages.join(' + ')}, expected ${expected}`);
    }
    await repository.transition(order.id, name); // false: another worker applied it first, which is as good
  }

  /**
   * Brings products in line with the order's decision, one settlement at a time, re-reading after each (a
   * decision taken meanwhile, e.g. a cancellation, changes the next step). A failure leaves it to the sweep.
   */
  async function settle(orderId: string, requestId: string): Promise<OrderWithItems> {
    let order = await reload(orderId);
    for (let step = 0; step < MAX_SETTLEMENTS; step++) {
      const next = settlementFor(order);
      if (!next) break;
      try {
        await applySettlement(order, next, requestId);
      } catch (error) {
        log.warn({ err: error, orderId, requestId, settlement: next }, 'settlement left for the recovery sweep');
        break;
      }
      order = await reload(orderId);
    }
    return order;
  }

  /** Settles an order this worker has claimed, then lets go of it. */
  async function settleAndRelease(orderId: string, worker: string, requestId: string) {
    try {
      return await settle(orderId, requestId);
    } finally {
      await repository.releaseClaim(orderId, worker);
    }
  }

  /** What placeOrder answers for an order: the order, or the error it was cancelled with. */
  function outcome(order: OrderWithItems): OrderWithItems {
    if (order.status === 'CANCELLED' && order.failureCode) {
      throw userError(order.failureCode, order.cancelReason ?? 'the order could not be placed');
    }
    return order;
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
    return outcome(current);
  }

  /** PENDING → CONFIRMED at the prices products charged (false: someone decided first). */
  const confirm = (orderId: string, reserved: PricedItem[]) =>
    repository.confirm(orderId, new Map(reserved.map((item) => [item.productId, item.unitPrice.amount])));

  /**
   * A PENDING order whose placing went quiet: finished when products holds its stock, else cancelled (and
   * settled: a late reserve will be refused).
   */
  async function resolvePending(order: OrderWithItems, requestId: string): Promise<void> {
    const reservation = await products.reservationStatus(order.id, requestId);
    if (reservation === 'RESERVED' || reservation === 'COMMITTED') {
      const items = order.items.map(({ productId, quantity }) => ({ productId, quantity }));
      // Idempotent by the order id: answers the existing reservation with the prices it charged.
      await confirm(order.id, await products.reserveStock(order.id, items, requestId));
    } else {
      await repository.transition(order.id, 'cancel', {
        cancelReason: INTERRUPTED,
        failureCode: 'SERVICE_UNAVAILABLE',
      });
    }
  }

  return {
    outcomeOf,

    place: async (userId: string, items: StockItem[], idempotencyKey: string | null, requestId: string) => {
      const requestHash = requestHashOf(items);
      // Unknown and archived products fail here, before any order exists; unreachable products too.
      const quote = await products
        .quote(
          items.map((item) => item.productId),
          requestId,
        )
        .catch((error: unknown) => {
          throw error instanceof SubgraphUnavailable
            ? serviceUnavailable(`${error.message}; no order was placed`)
            : error;
        });
      const currencies = new Set([...quote.values()].map((product) => product.price.currency));
      if (currencies.size !== 1)
        throw userError('BAD_USER_INPUT', 'all items of an order must be priced in one currency');
      const totalAmount = items.reduce(
        (sum, item) => sum + item.quantity * (quote.get(item.productId)?.price.amount ?? 0),
        0,
      );
      if (totalAmount > MAX_AMOUNT) {
        throw userError('BAD_USER_INPUT', `an order's total is at most ${MAX_AMOUNT} minor units; order less`, {
          field: 'input.items',
        });
      }

      const worker = `${workerId}/${requestId}`;
      let order: OrderWithItems;
      try {
        order = await repository.createOrder({
          userId,
          idempotencyKey,
          requestHash,
          status: 'PENDING',
          stockState: 'UNKNOWN',
          claimedBy: worker,
          claimedUntil: new Date(Date.now() + claimMs),
          currency: [...currencies][0] as string,
          totalAmount,
          items: {
            create: items.map((item) => {
              const product = quote.get(item.productId);
              return {
                ...item,
                unitPriceAmount: product?.price.amount ?? 0,
                productName: product?.name ?? null,
                productSku: product?.sku ?? null,
              };
            }),
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
        // Maybe reserved, maybe not (unreachable), or refused: cancel; settling gives back whatever was taken.
        const unavailable = error instanceof SubgraphUnavailable;
        const cancelled = await repository.transition(order.id, 'cancel', {
          cancelReason: unavailable ? `${(error as Error).message}; the order was cancelled` : (error as Error).message,
          failureCode: unavailable
            ? 'SERVICE_UNAVAILABLE'
            : (((error as GraphQLError).extensions?.code as string | undefined) ?? 'INTERNAL_SERVER_ERROR'),
        });
        const settled = await settleAndRelease(order.id, worker, requestId);
        if (!cancelled) return outcome(settled); // a sweep or the customer decided first: that decision stands
        throw unavailable
          ? serviceUnavailable(`${(error as Error).message}; the order was not placed, try again`)
          : error;
      }
      await confirm(order.id, reserved); // false: cancelled meanwhile, and settling gives the stock back
      return outcome(await settleAndRelease(order.id, worker, requestId));
    },

    /** Cancels a PENDING or CONFIRMED order; its stock goes back now, or via whoever holds its claim. */
    cancel: async (order: OrderWithItems, reason: string, requestId: string) => {
      const worker = `${workerId}/${requestId}`;
      if (
        (await repository.transition(order.id, 'cancel', { cancelReason: reason })) &&
        (await repository.claim(order.id, worker, claimMs))
      ) {
        return settleAndRelease(order.id, worker, requestId);
      }
      return reload(order.id);
    },

    /** CONFIRMED → SHIPPED, committing its stock first if that was left; the order as it is afterwards. */
    ship: async (order: OrderWithItems, requestId: string) => {
      const worker = `${workerId}/${requestId}`;
      if (!(await repository.claim(order.id, worker, claimMs))) {
        throw userError('CONFLICT', 'this order is being updated right now; try again in a moment');
      }
      try {
        await settle(order.id, requestId);
        await repository.transition(order.id, 'ship');
        return await reload(order.id);
      } finally {
        await repository.releaseClaim(order.id, worker);
      }
    },

    /**
     * Finishes what interrupted sagas left, for orders no other worker holds: settlements not yet applied,
     * and PENDING orders whose placing went quiet for a whole claim. Safe anywhere, any time, in parallel:
     * concurrent sweeps claim different orders. Answers the numbers of the orders it settled.
     */
    recover: async (): Promise<string[]> => {
      const worker = `${workerId}/sweep-${++sweeps}`;
      const requestId = `recovery-${Date.now()}-${sweeps}`;
      const claimed = await repository.claimUnsettled(worker, claimMs, SWEEP_BATCH);
      const settled: string[] = [];
      const left: string[] = [];
      for (const order of claimed) {
        try {
          if (order.status === 'PENDING') await resolvePending(order, requestId);
          const after = await settle(order.id, requestId);
          (after.status !== 'PENDING' && !settlementFor(after) ? settled : left).push(orderNumber(after));
        } catch (error) {
          left.push(orderNumber(order));
          log.warn({ err: error, orderId: order.id }, 'recovery: order left for the next sweep');
        } finally {
          await repository.releaseClaim(order.id, worker).catch(() => undefined);
        }
      }
      if (claimed.length > 0) {
        log.info(
          { settled, left },
          `recovery sweep settled ${settled.length} order(s)${left.length > 0 ? `, ${left.length} left` : ''}`,
        );
      }
      return settled;
    },
  };
}

export type PlaceOrderSaga = ReturnType<typeof createPlaceOrderSaga>;
