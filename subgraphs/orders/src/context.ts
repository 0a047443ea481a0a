import type { Connection, RequestBase } from '@shop/subgraph-runtime';
import type { OrderLoaders } from './loaders.js';
import type { OrderItem, OrderWithItems } from './repository.js';
import type { OrderService } from './service.js';

/** What every orders resolver receives. */
export interface OrdersContext extends RequestBase {
  loaders: OrderLoaders;
  orders: OrderService;
}

/** Users and products are owned by other services; here each is its id. */
export interface UserReference {
  id: string;
}
export interface ProductReference {
  id: string;
}

/** An item with its order's currency, which its prices are in. */
export type OrderItemRow = OrderItem & { currency: string };
export type OrderConnectionRow = Connection<OrderWithItems>;
