import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { DateTime, pageRequest, type RequestBase } from '@shop/subgraph-kit';
import type { OrderLoaders } from './loaders.js';
import type { StockItem } from './products-client.js';
import type { OrderItem, OrderWithItems } from './repository.js';
import type { OrderService } from './service.js';

export interface OrdersContext extends RequestBase {
  loaders: OrderLoaders;
  orders: OrderService;
}

type PageArgs = { first?: number | null; after?: string | null };

/** Thin: GraphQL shapes in, service calls out. Money is the order's currency throughout. */
export const resolvers: GraphQLResolverMap<OrdersContext> = {
  DateTime,
  Query: {
    order: (_: unknown, { id }: { id: string }, { orders }) => orders.order(id),
    orders: (_: unknown, args: PageArgs, { orders }) => orders.orders(pageRequest(args)),
  },
  Mutation: {
    placeOrder: (_: unknown, args: { input: { items: StockItem[] }; idempotencyKey?: string | null }, { orders }) =>
      orders.placeOrder(args.input.items, args.idempotencyKey),
    cancelOrder: (_: unknown, { id }: { id: string }, { orders }) => orders.cancelOrder(id),
  },
  Order: {
    __resolveReference: (reference: { id: string }, { loaders }: OrdersContext) => loaders.orderById.load(reference.id),
    number: (order: OrderWithItems) => `SO-${String(order.number).padStart(6, '0')}`,
    user: (order: OrderWithItems) => ({ __typename: 'User', id: order.userId }),
    total: (order: OrderWithItems) => ({ amount: order.totalAmount, currency: order.currency }),
    // Each item needs its order's currency; pass it down with the row.
    items: (order: OrderWithItems) => order.items.map((item) => ({ ...item, currency: order.currency })),
  },
  OrderItem: {
    product: (item: OrderItem) => ({ __typename: 'Product', id: item.productId }),
    unitPrice: (item: OrderItem & { currency: string }) => ({ amount: item.unitPriceAmount, currency: item.currency }),
    lineTotal: (item: OrderItem & { currency: string }) => ({
      amount: item.unitPriceAmount * item.quantity,
      currency: item.currency,
    }),
  },
  User: {
    // Orders contributes a field to users' User: the reference itself is all it needs.
    __resolveReference: (reference: { id: string }) => reference,
    orders: (user: { id: string }, args: PageArgs, { orders }) => orders.ordersOfUser(user.id, pageRequest(args)),
  },
};
