import { DateTime } from '@shop/subgraph-runtime';
import type { EndOfEvents, OrderEvent } from './order-events.js';
import { orderNumber } from './repository.js';
import type { Resolvers } from './schema.generated.js';

/** Thin: GraphQL shapes in, service calls out. Typed by the code generated from schema.graphql. */
export const resolvers: Resolvers = {
  DateTime,
  Query: {
    order: (_, { id }, { orders }) => orders.order(id),
    orders: (_, args, { orders, pageRequest }, info) => orders.orders(pageRequest(args, 'orders', info)),
  },
  Mutation: {
    placeOrder: (_, { input, idempotencyKey }, { orders }) => orders.placeOrder(input.items, idempotencyKey),
    cancelOrder: (_, { id }, { orders }) => orders.cancelOrder(id),
    shipOrder: (_, { id }, { orders }) => orders.shipOrder(id),
  },
  Subscription: {
    orderUpdated: {
      subscribe: (_, { after, allOrders }, { orders }) => orders.orderUpdates(after ?? null, allOrders ?? false),
      // The last event of a subscription that ends with an error carries it.
      resolve: (event: OrderEvent | EndOfEvents) => {
        if ('error' in event) throw event.error;
        return event;
      },
    },
  },
  Order: {
    __resolveReference: (reference, { loaders }) => loaders.orderById.load(reference.id),
    number: orderNumber,
    user: (order) => ({ id: order.userId }),
    total: (order) => ({ amount: order.totalAmount, currency: order.currency }),
    items: (order) => order.items.map((item) => ({ ...item, currency: order.currency })),
  },
  OrderItem: {
    product: (item) => ({ id: item.productId }),
    unitPrice: (item) => ({ amount: item.unitPriceAmount, currency: item.currency }),
    lineTotal: (item) => ({ amount: item.unitPriceAmount * item.quantity, currency: item.currency }),
  },
  User: {
    // Orders contributes a field to users' User: the reference itself is all it needs.
    __resolveReference: (reference) => reference,
    orders: (user, args, { orders, pageRequest }, info) =>
      orders.ordersOfUser(user.id, pageRequest(args, 'user.orders', info)),
  },
};
