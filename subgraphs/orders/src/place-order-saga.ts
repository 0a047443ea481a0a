import { createHash } from 'node:crypto';
import { type Logger, userError } from '@shop/platform';
import { SubgraphUnavailable, serviceUnavailable } from '@shop/subgraph-runtime';
import type { GraphQLError } from 'graphql';
import { ORDER_TRANSITIONS, type Settlement, settlementFor } from './order-states.js';
import type { PricedItem, ProductsClient, StockItem } from './products-client.js';
import { type OrderRepository, type OrderWithItems, orderNumber } from './repository.js';

/** A settled order takes at most this many settlements (return: commit, then return); more means a bug. */
const MAX_SETTLEMENTS = 3;
const SWEEP_BATCH = 100;
/** The largest amount Money.amount (a GraphQL Int, 32 bits) and the totals column hold. */
const MAX_AMOUNT = 2 ** 31 - 1;

/**
 * The code of an order that was not placed and never will be under its key: placing was interrupted and
 * products held no stock for it, so the sweep gave it up. Final: a new attempt needs a new idempotencyKey.
 */
export const ORDER_NOT_PLACED = 'ORDER_NOT_PLACED';
const NOT_PLACED_REASON =
  'placing this order was interrupted and it was not placed; nothing was charged. Place it again with a new idempotencyKey';

/** The same items in any order and split any way hash the same: that is "the same payload". */
export function requestHashOf(items: StockItem[]): string {
  const normalised = [...items].sort((a, b) => a.productId.localeCompare(b.productId));
  return createHash('sha256').update(JSON.stringify(normalised)).digest('hex');
}

/** What the saga's functions work with: the orders database, the products service, and this worker. */
export interface SagaDeps {
  repository: OrderRepository;
  products: ProductsClient;
  log: Logger;
  /** Names this process in claims (host and pid), so a claim says who holds it. */
  workerId: string;
  /** How long a claim on an order lasts: a PENDING order quiet this long is taken over (a retry, the sweep). */
  claimMs: number;
  /** How long a same-key retry waits for an order another worker is placing, and how often it looks. */
  duplicateWait?: { totalMs: number; everyMs: number };
}

const DUPLICATE_WAIT = { totalMs: 10_000, everyMs: 50 } as const;

/**
 * What a failed call to products means for the order: `refused` — products answered and took nothing
 * (OUT_OF_STOCK, an archived product, a reservation given back); `unknown` — no usable answer (unreachable,
 * timed out, failed), so the reservation may or may not exist. Pure.
 */
export function classifyFailure(error: unknown): 'refused' | 'unknown' {
  if (error instanceof SubgraphUnavailable) return 'unknown';
  const code = (error as GraphQLError | null)?.extensions?.code;
  return typeof code === 'string' && code !== 'SERVICE_UNAVAILABLE' && code !== 'INTERNAL_SERVER_ERROR'
    ? 'refused'
    : 'unknown';
}

/** The answer when placing (or cancelling) stopped before a final outcome: it may still happen. */
const mayStillTakeEffect = (what: string, cause: unknown) =>
  serviceUnavailable(
    `${what} did not finish (${(cause as Error).message}); it may still take effect: retry with the same idempotencyKey to learn its outcome`,
  );

/** The same order, re-read (it exists: orders are never deleted while a saga runs). */
const reload = async ({ repository }: SagaDeps, id: string) =>
  (await repository.findOrdersByIds([id]))[0] as OrderWithItems;

/** A claim holder's name: this process and what it is doing. */
const workerName = ({ workerId }: SagaDeps, task: string) => `${workerId}/${task}`;

/**
 * What placeOrder answers for an order: the order, or the refusal it was given up with (always the same error
 * for the same order). An order still PENDING as far as this worker could read has no outcome yet: "retry".
 */
export function outcome(order: OrderWithItems): OrderWithItems {
  if (order.status === 'PENDING') {
    throw serviceUnavailable(
      'this order is still being placed; it may still take effect: retry with the same idempotencyKey in a moment',
    );
  }
  if (order.status === 'CANCELLED' && order.failureCode) {
    // Orders given up before ORDER_NOT_PLACED existed were stored with SERVICE_UNAVAILABLE: final all the same.
    if (order.failureCode === 'SERVICE_UNAVAILABLE') throw userError(ORDER_NOT_PLACED, NOT_PLACED_REASON);
    throw userError(order.failureCode, order.cancelReason ?? 'the order could not be placed');
  }
  return order;
}

/** Sends products the messages a settlement needs; applies it once products answers the expected state. */
async function applySettlement(deps: SagaDeps, order: OrderWithItems, name: Settlement, requestId: string) {
  const { messages, products: expected } = ORDER_TRANSITIONS[name];
  let status: string | null = null;
  for (const message of messages) status = await deps.products.moveStock(message, order.id, requestId);
  if (status !== expected) {
    throw new Error(`products answered ${status} to ${messages.join(' + ')}, expected ${expected}`);
  }
  await deps.repository.transition(order.id, name); // false: another worker applied it first, which is as good
}

/**
 * Brings products in line with the order's decision, one settlement at a time, re-reading after each (a
 * decision taken meanwhile, e.g. a cancellation, changes the next step). Never throws: a failure leaves the
 * rest to the sweep, and the answer is the order as last read (a decision already stored is never an error).
 */
export async function settle(
  deps: SagaDeps,
  known: OrderWithItems,
  requestId: string,
  { fresh = false } = {},
): Promise<OrderWithItems> {
  let order = known;
  for (let step = 0; step < MAX_SETTLEMENTS; step++) {
    try {
      // `fresh`: the caller's copy was just written by this worker (e.g. by confirming): no need to read it again.
      if (step > 0 || !fresh) order = await reload(deps, order.id);
      const next = settlementFor(order);
      if (!next) break;
      await applySettlement(deps, order, next, requestId);
    } catch (error) {
      deps.log.warn({ err: error, orderId: order.id, requestId }, 'settlement left for the recovery sweep');
      break;
    }
  }
  return order;
}

/** Lets go of a claim; if the database does not answer, the claim simply runs out. */
const releaseClaim = (deps: SagaDeps, orderId: string, worker: string) =>
  deps.repository.releaseClaim(orderId, worker).catch(() => undefined);

/** Settles an order this worker has claimed, then lets go of it. Never throws. */
async function settleAndRelease(
  deps: SagaDeps,
  order: OrderWithItems,
  worker: string,
  requestId: string,
  options: { fresh?: boolean } = {},
) {
  const settled = await settle(deps, order, requestId, options);
  await releaseClaim(deps, order.id, worker);
  return settled;
}

/**
 * Reserves a PENDING order's stock and confirms it, for the worker that holds its claim (the first request, or
 * a same-key retry that took over). Refused: the order is given up with the refusal, which is then its final
 * answer. No usable answer: the order stays PENDING and the caller is told it may still take effect.
 */
async function reserveAndConfirm(
  deps: SagaDeps,
  order: OrderWithItems,
  worker: string,
  requestId: string,
): Promise<OrderWithItems> {
  const items = order.items.map(({ productId, quantity }) => ({ productId, quantity }));
  let reserved: PricedItem[];
  try {
    reserved = await deps.products.reserveStock(order.id, items, requestId);
  } catch (error) {
    if (classifyFailure(error) === 'unknown') {
      // Maybe reserved, maybe not: a retry with the same key (or the sweep) finds out and finishes.
      await releaseClaim(deps, order.id, worker);
      throw mayStillTakeEffect('placing the order', error);
    }
    const refusal = error as GraphQLError;
    const abandoned = await deps.repository
      .transition(order.id, 'abandon', {
        cancelReason: refusal.message,
        failureCode: refusal.extensions.code as string,
      })
      .catch((stored: unknown) => {
        throw mayStillTakeEffect('placing the order', stored);
      });
    const settled = await settleAndRelease(deps, order, worker, requestId);
    // Abandoned by us: the refusal itself (with what it names, e.g. the products short of stock). Decided by
    // someone else first (a sweep, the customer): that decision stands.
    if (abandoned) throw refusal;
    return outcome(settled);
  }
  let confirmed: OrderWithItems | null;
  try {
    confirmed = await confirmAt(deps, order, reserved);
  } catch (error) {
    await releaseClaim(deps, order.id, worker);
    throw mayStillTakeEffect('placing the order', error);
  }
  // From here the order's fate is stored: the answer is the order, never an error.
  const settled = await settleAndRelease(deps, confirmed ?? order, worker, requestId, { fresh: confirmed !== null });
  return confirmed ? settled : outcome(settled);
}

/** PENDING → CONFIRMED at the prices products charged: the confirmed order, or null if someone decided first. */
const confirmAt = (deps: SagaDeps, order: OrderWithItems, reserved: PricedItem[]) =>
  deps.repository.confirm(
    order.id,
    new Map(reserved.map((item) => [item.productId, item.unitPrice.amount])),
    order.items,
  );

export interface PlaceOrderRequest {
  userId: string;
  items: StockItem[];
  idempotencyKey: string | null;
  requestId: string;
}

/**
 * Places an order: quotes today's prices, stores the order PENDING and claimed by this request, reserves its
 * stock in products and confirms it. Every answer is either final (the order, or a refusal that is also what
 * every later retry with the key gets) or SERVICE_UNAVAILABLE saying the order may still take effect.
 */
export async function place(deps: SagaDeps, request: PlaceOrderRequest): Promise<OrderWithItems> {
  const { userId, items, idempotencyKey, requestId } = request;
  const requestHash = requestHashOf(items);
  // Unknown and archived products fail here, before any order exists; unreachable products too.
  const quote = await deps.products
    .quote(
      items.map((item) => item.productId),
      requestId,
    )
    .catch((error: unknown) => {
      throw error instanceof SubgraphUnavailable
        ? serviceUnavailable(`${error.message}; no order was placed, try again`)
        : error;
    });
  const currencies = new Set([...quote.values()].map((product) => product.price.currency));
  if (currencies.size !== 1) throw userError('BAD_USER_INPUT', 'all items of an order must be priced in one currency');
  const totalAmount = items.reduce(
    (sum, item) => sum + item.quantity * (quote.get(item.productId)?.price.amount ?? 0),
    0,
  );
  if (totalAmount > MAX_AMOUNT) {
    throw userError('BAD_USER_INPUT', `an order's total is at most ${MAX_AMOUNT} minor units; order less`, {
      field: 'input.items',
    });
  }

  const worker = workerName(deps, requestId);
  let order: OrderWithItems;
  try {
    order = await deps.repository.createOrder({
      userId,
      idempotencyKey,
      requestHash,
      status: 'PENDING',
      stockState: 'UNKNOWN',
      claimedBy: worker,
      claimedUntil: new Date(Date.now() + deps.claimMs),
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
    // Another request with the same key stored its order first (the unique key): that one is the answer.
    if (!idempotencyKey || (error as { code?: unknown }).code !== 'P2002') throw error;
    const winner = await deps.repository.findOrderByIdempotencyKey(userId, idempotencyKey);
    if (!winner) throw error;
    return outcomeOf(deps, winner, requestHash, requestId);
  }
  return reserveAndConfirm(deps, order, worker, requestId);
}

/**
 * What a repeated request with the same key gets: the order's final outcome. An order still PENDING whose
 * placing went quiet (its claim ran out or was let go) is taken over and finished here; one another worker is
 * placing right now is waited for. Only if it is still being placed after that wait is the answer "try again".
 */
export async function outcomeOf(
  deps: SagaDeps,
  order: OrderWithItems,
  requestHash: string,
  requestId: string,
): Promise<OrderWithItems> {
  if (order.requestHash !== requestHash) {
    throw userError(
      'CONFLICT',
      'this idempotencyKey was used for an order with other items; use a new key for a new order',
    );
  }
  const wait = deps.duplicateWait ?? DUPLICATE_WAIT;
  const worker = workerName(deps, requestId);
  let current = order;
  for (let waited = 0; current.status === 'PENDING'; waited += wait.everyMs) {
    if (await deps.repository.claim(current.id, worker, deps.claimMs)) {
      return reserveAndConfirm(deps, await reload(deps, current.id), worker, requestId);
    }
    if (waited >= wait.totalMs) return outcome(current);
    await new Promise((resolve) => setTimeout(resolve, wait.everyMs));
    current = await reload(deps, current.id);
  }
  return outcome(current);
}

/**
 * A PENDING order whose placing went quiet: confirmed when products holds its stock, else given up (and
 * settled: a late reserve will be refused). `abandon` moves only a PENDING order, so if the placer confirmed it
 * after we read "no reservation", the confirmation stands and this does nothing.
 */
export async function resolvePending(deps: SagaDeps, order: OrderWithItems, requestId: string): Promise<void> {
  const reservation = await deps.products.reservationStatus(order.id, requestId);
  if (reservation === 'RESERVED' || reservation === 'COMMITTED') {
    const items = order.items.map(({ productId, quantity }) => ({ productId, quantity }));
    // Idempotent by the order id: answers the existing reservation with the prices it charged.
    await confirmAt(deps, order, await deps.products.reserveStock(order.id, items, requestId));
  } else {
    await deps.repository.transition(order.id, 'abandon', {
      cancelReason: NOT_PLACED_REASON,
      failureCode: ORDER_NOT_PLACED,
    });
  }
}

/** cancelOrder: cancels a PENDING or CONFIRMED order; its stock goes back now, or via whoever holds its claim. */
export async function cancel(deps: SagaDeps, order: OrderWithItems, reason: string, requestId: string) {
  const worker = workerName(deps, requestId);
  if (!(await deps.repository.transition(order.id, 'cancel', { cancelReason: reason }))) return reload(deps, order.id);
  // Decided: from here the answer is the cancelled order, whatever settling meets.
  const cancelled: OrderWithItems = { ...order, status: 'CANCELLED', cancelReason: reason };
  if (await deps.repository.claim(order.id, worker, deps.claimMs).catch(() => false)) {
    return settleAndRelease(deps, cancelled, worker, requestId);
  }
  return reload(deps, order.id).catch(() => cancelled);
}

/** shipOrder: CONFIRMED → SHIPPED, committing its stock first if that was left; the order as it is afterwards. */
export async function ship(deps: SagaDeps, order: OrderWithItems, requestId: string) {
  const worker = workerName(deps, requestId);
  if (!(await deps.repository.claim(order.id, worker, deps.claimMs))) {
    throw userError('CONFLICT', 'this order is being updated right now; try again in a moment');
  }
  try {
    await settle(deps, order, requestId);
    await deps.repository.transition(order.id, 'ship');
    return await reload(deps, order.id);
  } finally {
    await releaseClaim(deps, order.id, worker);
  }
}

/**
 * Finishes what interrupted sagas left, for orders no other worker holds: settlements not yet applied, and
 * PENDING orders whose placing went quiet for a whole claim. Safe anywhere, any time, in parallel: concurrent
 * sweeps claim different orders. Answers the numbers of the orders it settled.
 */
export async function recover(deps: SagaDeps, sweep: string): Promise<string[]> {
  const worker = workerName(deps, sweep);
  const requestId = `recovery-${sweep}-${Date.now()}`;
  const claimed = await deps.repository.claimUnsettled(worker, deps.claimMs, SWEEP_BATCH);
  const settled: string[] = [];
  const left: string[] = [];
  for (const order of claimed) {
    try {
      if (order.status === 'PENDING') await resolvePending(deps, order, requestId);
      const after = await settle(deps, order, requestId);
      (after.status !== 'PENDING' && !settlementFor(after) ? settled : left).push(orderNumber(after));
    } catch (error) {
      left.push(orderNumber(order));
      deps.log.warn({ err: error, orderId: order.id }, 'recovery: order left for the next sweep');
    } finally {
      await releaseClaim(deps, order.id, worker);
    }
  }
  if (claimed.length > 0) {
    deps.log.info(
      { settled, left },
      `recovery sweep settled ${settled.length} order(s)${left.length > 0 ? `, ${left.length} left` : ''}`,
    );
  }
  return settled;
}

/** The saga's functions bound to one worker's dependencies, as the service and the sweep job use them. */
export function createPlaceOrderSaga(deps: SagaDeps) {
  let sweeps = 0;
  return {
    place: (request: PlaceOrderRequest) => place(deps, request),
    outcomeOf: (order: OrderWithItems, requestHash: string, requestId: string) =>
      outcomeOf(deps, order, requestHash, requestId),
    cancel: (order: OrderWithItems, reason: string, requestId: string) => cancel(deps, order, reason, requestId),
    ship: (order: OrderWithItems, requestId: string) => ship(deps, order, requestId),
    recover: () => recover(deps, `sweep-${++sweeps}`),
  };
}

export type PlaceOrderSaga = ReturnType<typeof createPlaceOrderSaga>;
