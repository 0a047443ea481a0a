import { hostname } from 'node:os';
import { z } from '@shop/platform';
import { defineSubgraph, prismaClient } from '@shop/subgraph-runtime';
import { ordersCache } from './cache.js';
import type { OrdersContext } from './context.js';
import { PrismaClient } from './generated/prisma/client.js';
import { createOrderLoaders } from './loaders.js';
import { createOrderEvents } from './order-events.js';
import { createPlaceOrderSaga, ORDER_NOT_PLACED } from './place-order-saga.js';
import { createProductsClient } from './products-client.js';
import { createOrderRepository } from './repository.js';
import { resolvers } from './resolvers.js';
import { seedOrders } from './seed.js';
import { createOrderService } from './service.js';

/** The orders service's own settings (README: "Configuration"). */
const settings = z.object({
  /** The products subgraph, called directly (not through the router) to take and give back stock. */
  PRODUCTS_URL: z.url().default('http://127.0.0.1:4002/graphql'),
  /** How long a worker's claim on an order lasts: a PENDING order quiet this long is settled by the sweep. */
  ORDER_PENDING_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  /** How often the recovery sweep runs (it also runs once at start). */
  ORDER_RECOVERY_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  /** How often committed order changes are read while anyone subscribes to them (orderUpdated). */
  ORDER_EVENTS_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(100),
});

/** The orders subgraph: orders, User.orders, and the placeOrder saga (the house discovers it by this manifest). */
export default defineSubgraph({
  name: 'orders',
  port: 4003,
  schemaFile: new URL('../schema.graphql', import.meta.url),
  migrationsDir: new URL('../../../prisma/orders/migrations/', import.meta.url),
  settings,
  createClient: prismaClient(PrismaClient),
  seed: seedOrders,
  cache: ordersCache,
  errorCodes: {
    [ORDER_NOT_PLACED]: {
      httpStatus: 200,
      when: '`placeOrder` was interrupted and the order was given up with nothing charged: final for its `idempotencyKey`; place it again with a new key',
    },
  },
  codegen: {
    context: 'OrdersContext',
    mappers: {
      Order: './repository.js#OrderWithItems as OrderRow',
      OrderItem: './context.js#OrderItemRow',
      OrderConnection: './context.js#OrderConnectionRow',
      User: './context.js#UserReference',
      Product: './context.js#ProductReference',
    },
  },
  resolvers,
  start: ({ prisma, reads, settings, log, internalToken, closedAccounts }) => {
    const repository = createOrderRepository(prisma, reads);
    const events = createOrderEvents({
      prisma,
      ordersByIds: repository.findOrdersByIds,
      closedAccounts,
      intervalMs: settings.ORDER_EVENTS_POLL_MS,
      log,
    });
    const products = createProductsClient(settings.PRODUCTS_URL, internalToken);
    const saga = createPlaceOrderSaga({
      repository,
      products,
      log,
      workerId: `${hostname()}:${process.pid}`,
      claimMs: settings.ORDER_PENDING_TIMEOUT_SECONDS * 1000,
    });
    return {
      context: (base): OrdersContext => {
        const loaders = createOrderLoaders(repository);
        return { ...base, loaders, orders: createOrderService(repository, loaders, saga, events, base) };
      },
      // Settles what a previous run left unfinished, then keeps sweeping (replicas too: each claims its own orders).
      jobs: [{ name: 'recovery', everyMs: settings.ORDER_RECOVERY_INTERVAL_SECONDS * 1000, run: saga.recover }],
    };
  },
});
