import { groupedPagesLoader, rowLoader } from '@shop/subgraph-runtime';
import type { OrderRepository } from './repository.js';

/** Per-request loaders: orders by id, and a page of orders per user, each in one query per tick. */
export function createOrderLoaders(repository: OrderRepository) {
  return {
    orderById: rowLoader(repository.findOrdersByIds, (order) => order.id),
    ordersOfUser: groupedPagesLoader({
      sortValue: (order) => order.createdAt,
      pages: repository.orderPagesByUser,
      countByKeys: repository.countOrdersByUser,
    }),
  };
}

export type OrderLoaders = ReturnType<typeof createOrderLoaders>;
