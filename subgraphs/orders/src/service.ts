import { badUserInput, requireAdmin, requireViewer, userError, type Viewer } from '@shop/platform';
import { type PageRequest, type RequestBase, readsList, toConnection } from '@shop/subgraph-runtime';
import { ordersOfUserReads, ordersReads } from './cache.js';
import type { OrderLoaders } from './loaders.js';
import type { OrderEvents } from './order-events.js';
import { type PlaceOrderSaga, requestHashOf } from './place-order-saga.js';
import type { StockItem } from './products-client.js';
import type { OrderRepository, OrderWithItems } from './repository.js';

const MAX_ITEMS = 50;
const MAX_QUANTITY = 1000;
const IDEMPOTENCY_KEY = /^[\w.:-]{1,100}$/;

/** Ordering rules: who sees which orders, what a valid order is, and placing and cancelling across services. */
export function createOrderService(
  repository: OrderRepository,
  loaders: OrderLoaders,
  saga: PlaceOrderSaga,
  events: OrderEvents,
  request: RequestBase,
) {
  const { viewer } = request;
  const canSee = (order: OrderWithItems, who: Viewer) => who.role === 'ADMIN' || order.userId === who.id;

  return {
    /** Someone else's order reads as null, like a missing one: ids of other people's orders stay secret. */
    order: async (id: string) => {
      const signedIn = requireViewer(viewer);
      const order = await loaders.orderById.load(id);
      return order && canSee(order, signedIn) ? order : null;
    },
    orders: async (page: PageRequest) => {
      const signedIn = requireViewer(viewer);
      const owner = signedIn.role === 'ADMIN' ? null : signedIn.id;
      const rows = await repository.listOrders(owner, page.after, page.first + 1);
      const count = () => repository.countOrders(owner);
      return readsList(
        toConnection(rows, page, (order) => order.createdAt, count, loaders.orderById),
        ordersReads(owner),
      );
    },
    /** Live changes to the viewer's orders (every order's, for an admin asking for all). */
    orderUpdates: (after: string | null, allOrders: boolean) => {
      const signedIn = allOrders ? requireAdmin(viewer) : requireViewer(viewer);
      return events.subscribe(signedIn, { after, allOrders });
    },
    ordersOfUser: async (userId: string, page: PageRequest) => {
      const signedIn = requireViewer(viewer);
      if (signedIn.role !== 'ADMIN' && signedIn.id !== userId) {
        throw userError('FORBIDDEN', "only the user and admins may read a user's orders");
      }
      return readsList(await loaders.ordersOfUser(userId, page), ordersOfUserReads(userId));
    },

    /** Same key and same items from the same user: the same order (or the same error), never a second one. */
    placeOrder: async (items: StockItem[], idempotencyKey: string | null | undefined) => {
      const signedIn = requireViewer(viewer);
      if (idempotencyKey != null && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
        throw badUserInput('idempotencyKey must be 1 to 100 letters, digits or ._:-', 'idempotencyKey');
      }
      const wanted = validItems(items);
      if (idempotencyKey) {
        const earlier = await repository.findOrderByIdempotencyKey(signedIn.id, idempotencyKey);
        if (earlier) return saga.outcomeOf(earlier, requestHashOf(wanted), request.requestId);
      }
      return saga.place({
        userId: signedIn.id,
        items: wanted,
        idempotencyKey: idempotencyKey ?? null,
        requestId: request.requestId,
      });
    },
    cancelOrder: async (id: string) => {
      const signedIn = requireViewer(viewer);
      const order = await loaders.orderById.load(id);
      if (!order || !canSee(order, signedIn)) throw userError('NOT_FOUND', `order ${id} does not exist`, { id });
      if (order.status === 'CANCELLED') return order;
      if (order.status === 'SHIPPED')
        throw userError('CONFLICT', 'this order has shipped and can no longer be cancelled');
      const by = signedIn.id === order.userId ? 'the customer' : 'an administrator';
      const after = await saga.cancel(order, `cancelled by ${by}`, request.requestId);
      if (after.status === 'SHIPPED')
        throw userError('CONFLICT', 'this order has shipped and can no longer be cancelled');
      return after;
    },
    /** Admin: the order left the warehouse; it can no longer be cancelled. Shipping twice is harmless. */
    shipOrder: async (id: string) => {
      requireAdmin(viewer);
      const order = await loaders.orderById.load(id);
      if (!order) throw userError('NOT_FOUND', `order ${id} does not exist`, { id });
      if (order.status === 'SHIPPED') return order;
      if (order.status !== 'CONFIRMED') {
        throw userError('CONFLICT', `only a CONFIRMED order can ship; this one is ${order.status}`);
      }
      const after = await saga.ship(order, request.requestId);
      if (after.status === 'SHIPPED') return after;
      if (after.status === 'CANCELLED') throw userError('CONFLICT', 'this order was cancelled meanwhile');
      throw userError('SERVICE_UNAVAILABLE', 'the products service could not confirm the stock; try again');
    },
  };
}

function validItems(items: StockItem[]): StockItem[] {
  if (items.length === 0) throw badUserInput('an order needs at least one item', 'input.items');
  if (items.length > MAX_ITEMS) throw badUserInput(`an order has at most ${MAX_ITEMS} items`, 'input.items');
  const merged = new Map<string, number>();
  for (const item of items) {
    if (!Number.isInteger(item.quantity) || item.quantity <= 0 || item.quantity > MAX_QUANTITY) {
      throw badUserInput(`quantity must be between 1 and ${MAX_QUANTITY}`, 'input.items.quantity');
    }
    merged.set(item.productId, (merged.get(item.productId) ?? 0) + item.quantity);
  }
  return [...merged].map(([productId, quantity]) => ({ productId, quantity }));
}

export type OrderService = ReturnType<typeof createOrderService>;
