import { createLogger, userError } from '@shop/platform';
import { SubgraphUnavailable } from '@shop/subgraph-runtime';
import { describe, expect, it } from 'vitest';
import { ORDER_TRANSITIONS, type OrderTransition } from '../order-states.js';
import {
  classifyFailure,
  ORDER_NOT_PLACED,
  outcome,
  outcomeOf,
  place,
  requestHashOf,
  resolvePending,
  type SagaDeps,
  settle,
} from '../place-order-saga.js';
import type { ProductsClient, ReservationStatus, StockItem } from '../products-client.js';
import type { OrderRepository, OrderWithItems } from '../repository.js';

/**
 * Each saga function alone, on an in-memory orders repository that applies the same transition table as the
 * real one, and a products stand-in whose answers each test sets. (The real databases and services, and the
 * interleavings between workers, are e2e/order-saga's.)
 */
const PRODUCT = '00000000-0000-4000-8000-000000000001';
const ITEMS: StockItem[] = [{ productId: PRODUCT, quantity: 2 }];

function memoryRepository() {
  const orders = new Map<string, OrderWithItems>();
  let number = 0;
  const copy = (order: OrderWithItems) => structuredClone(order);
  const repository = {
    findOrdersByIds: async (ids: string[]) => ids.flatMap((id) => (orders.has(id) ? [copy(orders.get(id)!)] : [])),
    findOrderByIdempotencyKey: async (userId: string, key: string) =>
      [...orders.values()].find((order) => order.userId === userId && order.idempotencyKey === key) ?? null,
    createOrder: async (data: Record<string, unknown>) => {
      const id = `order-${++number}`;
      const items = (data.items as { create: Omit<OrderWithItems['items'][number], 'id' | 'orderId'>[] }).create;
      const order = {
        ...data,
        id,
        number,
        cancelReason: null,
        failureCode: null,
        createdAt: new Date(),
        updatedAt: new Date(),
        items: items.map((item, index) => ({ ...item, id: `${id}-${index}`, orderId: id })),
      } as unknown as OrderWithItems;
      orders.set(id, order);
      return copy(order);
    },
    transition: async (id: string, name: OrderTransition, data: Partial<OrderWithItems> = {}) => {
      const order = orders.get(id);
      const { from, to } = ORDER_TRANSITIONS[name];
      if (!order || !from.some((state) => state.status === order.status && state.stockState === order.stockState))
        return false;
      Object.assign(order, data, to);
      return true;
    },
    confirm: async (id: string, prices: Map<string, number>) => {
      if (!(await repository.transition(id, 'confirm'))) return null;
      const order = orders.get(id)!;
      for (const item of order.items) item.unitPriceAmount = prices.get(item.productId) ?? item.unitPriceAmount;
      return copy(order);
    },
    claim: async (id: string, worker: string, claimMs: number) => {
      const order = orders.get(id)!;
      if (order.claimedUntil && order.claimedUntil.getTime() >= Date.now()) return false;
      Object.assign(order, { claimedBy: worker, claimedUntil: new Date(Date.now() + claimMs) });
      return true;
    },
    releaseClaim: async (id: string, worker: string) => {
      const order = orders.get(id)!;
      if (order.claimedBy === worker) Object.assign(order, { claimedBy: null, claimedUntil: null });
    },
  };
  return { orders, repository: repository as unknown as OrderRepository };
}

/** Products as the saga sees it; `reserve` decides what reserveStock does. */
function fakeProducts(reserve: () => Promise<void>) {
  const reservations = new Map<string, ReservationStatus>();
  const calls: string[] = [];
  const products = {
    quote: async (ids: string[]) =>
      new Map(ids.map((id) => [id, { price: { amount: 500, currency: 'EUR' }, name: 'Pen', sku: 'PEN-1' }])),
    reserveStock: async (orderId: string, items: StockItem[]) => {
      calls.push('reserveStock');
      await reserve();
      if (reservations.get(orderId) === 'RELEASED') throw userError('CONFLICT', 'the reservation was given back');
      if (!reservations.has(orderId)) reservations.set(orderId, 'RESERVED');
      return items.map((item) => ({ ...item, unitPrice: { amount: 450, currency: 'EUR' } }));
    },
    moveStock: async (message: string, orderId: string) => {
      calls.push(message);
      const now = reservations.get(orderId) ?? null;
      const next = { commitStock: 'COMMITTED', releaseStock: 'RELEASED', returnStock: 'RETURNED' }[message];
      const allowed = { commitStock: ['RESERVED'], releaseStock: [null, 'RESERVED'], returnStock: ['COMMITTED'] }[
        message
      ] as (ReservationStatus | null)[];
      if (allowed.includes(now)) reservations.set(orderId, next as ReservationStatus);
      return reservations.get(orderId) ?? null;
    },
    reservationStatus: async (orderId: string) => reservations.get(orderId) ?? null,
  };
  return { reservations, calls, products: products as unknown as ProductsClient };
}

function sagaWith(reserve: () => Promise<void> = async () => undefined) {
  const { orders, repository } = memoryRepository();
  const { reservations, calls, products } = fakeProducts(reserve);
  const deps: SagaDeps = {
    repository,
    products,
    log: createLogger('saga-unit', 'silent'),
    workerId: 'test',
    claimMs: 60_000,
    duplicateWait: { totalMs: 30, everyMs: 10 },
  };
  return { deps, orders, reservations, calls };
}

const request = { userId: 'user-1', items: ITEMS, idempotencyKey: 'key-1', requestId: 'req-1' };
const lost = () => Promise.reject(new SubgraphUnavailable('products service unreachable: socket hang up'));

describe('classifyFailure', () => {
  it('tells a refusal (products decided, nothing taken) from an unknown outcome', () => {
    expect(classifyFailure(userError('OUT_OF_STOCK', 'none left'))).toBe('refused');
    expect(classifyFailure(userError('CONFLICT', 'given back'))).toBe('refused');
    expect(classifyFailure(new SubgraphUnavailable('timed out'))).toBe('unknown');
    expect(classifyFailure(userError('SERVICE_UNAVAILABLE', 'database restarting'))).toBe('unknown');
    expect(classifyFailure(new Error('socket hang up'))).toBe('unknown');
    expect(classifyFailure(null)).toBe('unknown');
  });
});

describe('place', () => {
  it('confirms and commits an order at the prices products charged', async () => {
    const { deps, reservations } = sagaWith();
    const order = await place(deps, request);
    expect(order).toMatchObject({ status: 'CONFIRMED', stockState: 'COMMITTED' });
    expect(order.items[0]?.unitPriceAmount).toBe(450);
    expect(reservations.get(order.id)).toBe('COMMITTED');
  });

  it('gives up a refused order with the refusal, which is then its final answer', async () => {
    const { deps, orders } = sagaWith(() =>
      Promise.reject(userError('OUT_OF_STOCK', 'not enough stock: Pen (1 left)', { productIds: [PRODUCT] })),
    );
    // The refusal as products gave it, naming the products (the storefront marks their lines).
    await expect(place(deps, request)).rejects.toMatchObject({
      extensions: { code: 'OUT_OF_STOCK', productIds: [PRODUCT] },
    });
    const [order] = [...orders.values()];
    expect(order).toMatchObject({ status: 'CANCELLED', stockState: 'RELEASED', failureCode: 'OUT_OF_STOCK' });
    expect(() => outcome(order!)).toThrow('not enough stock');
  });

  it('leaves an order whose reserve got no answer PENDING and unclaimed, saying it may still take effect', async () => {
    const { deps, orders } = sagaWith(lost);
    await expect(place(deps, request)).rejects.toMatchObject({
      extensions: { code: 'SERVICE_UNAVAILABLE' },
      message: expect.stringContaining('may still take effect'),
    });
    expect([...orders.values()][0]).toMatchObject({ status: 'PENDING', stockState: 'UNKNOWN', claimedBy: null });
  });

  it('answers the confirmed order even when settling and re-reading fail afterwards', async () => {
    const { deps } = sagaWith();
    const failing = {
      ...deps,
      repository: { ...deps.repository, findOrdersByIds: () => Promise.reject(new Error('database restarting')) },
    } as SagaDeps;
    expect(await place(failing, request)).toMatchObject({ status: 'CONFIRMED' });
  });
});

describe('outcomeOf (a retry with the same key)', () => {
  it('finishes an order whose first attempt got no answer, instead of replaying "unavailable"', async () => {
    let answers = false;
    const { deps } = sagaWith(() => (answers ? Promise.resolve() : lost()));
    await expect(place(deps, request)).rejects.toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE' } });
    answers = true;
    const pending = await deps.repository.findOrderByIdempotencyKey('user-1', 'key-1');
    const order = await outcomeOf(deps, pending!, requestHashOf(ITEMS), 'req-2');
    expect(order).toMatchObject({ status: 'CONFIRMED', stockState: 'COMMITTED' });
  });

  it('waits for a placement another worker holds, then says try again (not a final answer)', async () => {
    const { deps } = sagaWith(lost);
    await expect(place(deps, request)).rejects.toThrow();
    const pending = (await deps.repository.findOrderByIdempotencyKey('user-1', 'key-1'))!;
    await deps.repository.claim(pending.id, 'someone-else', 60_000);
    await expect(outcomeOf(deps, pending, requestHashOf(ITEMS), 'req-2')).rejects.toMatchObject({
      extensions: { code: 'SERVICE_UNAVAILABLE' },
      message: expect.stringContaining('retry with the same idempotencyKey'),
    });
  });

  it('refuses the same key with other items, and answers orders given up by old code ORDER_NOT_PLACED', async () => {
    const { deps, orders } = sagaWith();
    const order = await place(deps, request);
    await expect(
      outcomeOf(deps, order, requestHashOf([{ productId: PRODUCT, quantity: 3 }]), 'r'),
    ).rejects.toMatchObject({ extensions: { code: 'CONFLICT' } });
    Object.assign(orders.get(order.id)!, { status: 'CANCELLED', failureCode: 'SERVICE_UNAVAILABLE' });
    await expect(
      outcomeOf(deps, structuredClone(orders.get(order.id)!), requestHashOf(ITEMS), 'r'),
    ).rejects.toMatchObject({
      extensions: { code: ORDER_NOT_PLACED },
    });
  });
});

describe('resolvePending (the sweep, for a PENDING order gone quiet)', () => {
  it('confirms an order products holds stock for', async () => {
    let answers = false;
    const { deps, reservations } = sagaWith(() => (answers ? Promise.resolve() : lost()));
    await expect(place(deps, request)).rejects.toThrow();
    const pending = (await deps.repository.findOrderByIdempotencyKey('user-1', 'key-1'))!;
    reservations.set(pending.id, 'RESERVED'); // the lost answer had reserved
    answers = true;
    await resolvePending(deps, pending, 'sweep');
    expect((await settle(deps, pending, 'sweep')).status).toBe('CONFIRMED');
  });

  it('gives up one with no reservation as ORDER_NOT_PLACED, and a late reserve is refused', async () => {
    const { deps, reservations } = sagaWith(lost);
    await expect(place(deps, request)).rejects.toThrow();
    const pending = (await deps.repository.findOrderByIdempotencyKey('user-1', 'key-1'))!;
    await resolvePending(deps, pending, 'sweep');
    const settled = await settle(deps, pending, 'sweep');
    expect(settled).toMatchObject({ status: 'CANCELLED', stockState: 'RELEASED', failureCode: ORDER_NOT_PLACED });
    expect(reservations.get(pending.id)).toBe('RELEASED');
  });

  it('never cancels an order the placer confirmed after the sweep read "no reservation"', async () => {
    const { deps } = sagaWith(lost);
    await expect(place(deps, request)).rejects.toThrow();
    const pending = (await deps.repository.findOrderByIdempotencyKey('user-1', 'key-1'))!;
    const racing = {
      ...deps,
      products: {
        ...deps.products,
        // Between the sweep's read and its decision, the placer reserves and confirms.
        reservationStatus: async () => {
          await deps.repository.confirm(pending.id, new Map());
          return null;
        },
      },
    } as SagaDeps;
    await resolvePending(racing, pending, 'sweep');
    expect((await deps.repository.findOrdersByIds([pending.id]))[0]?.status).toBe('CONFIRMED');
  });
});

describe('settle', () => {
  it('returns a confirmed-then-cancelled order via commit and return, each once', async () => {
    const { deps, calls, orders } = sagaWith();
    const order = await place(deps, request);
    await deps.repository.transition(order.id, 'cancel', { cancelReason: 'by the customer' });
    expect(await settle(deps, order, 'r')).toMatchObject({ status: 'CANCELLED', stockState: 'RETURNED' });
    expect(await settle(deps, orders.get(order.id)!, 'r')).toMatchObject({ stockState: 'RETURNED' });
    expect(calls.filter((call) => call === 'returnStock')).toHaveLength(1);
  });
});
