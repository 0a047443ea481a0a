import { createSubgraph, type SubgraphDependencies } from '@shop/subgraph-kit';
import type { OrdersContext } from './context.js';
import type { Environment } from './env.js';
import type { PrismaClient } from './generated/prisma/client.js';
import { createOrderLoaders } from './loaders.js';
import { createPlaceOrderSaga } from './place-order-saga.js';
import { createProductsClient } from './products-client.js';
import { createOrderRepository } from './repository.js';
import { resolvers } from './resolvers.js';
import { createOrderService } from './service.js';

/** The orders subgraph on a database (no listening: main.ts and the tests do that). */
export async function createOrdersSubgraph(runtime: SubgraphDependencies<PrismaClient, Environment>) {
  const { prisma, env, log, internalToken } = runtime;
  const repository = createOrderRepository(prisma);
  const products = createProductsClient(env.PRODUCTS_URL, internalToken);
  const saga = createPlaceOrderSaga(repository, products, log);
  // Settle what a previous run left unfinished, then keep sweeping (every replica may; each step is idempotent).
  const sweep = () =>
    saga.recover(env.ORDER_PENDING_TIMEOUT_SECONDS * 1000).catch((error: unknown) => {
      log.warn({ err: error }, 'recovery sweep failed; retrying at the next interval');
      return 0;
    });
  void sweep();
  const timer = setInterval(sweep, env.ORDER_RECOVERY_INTERVAL_SECONDS * 1000);
  timer.unref();
  const subgraph = await createSubgraph<OrdersContext>(runtime, {
    schemaFile: new URL('../schema.graphql', import.meta.url),
    resolvers,
    context: (base) => {
      const loaders = createOrderLoaders(repository);
      return { ...base, loaders, orders: createOrderService(repository, loaders, saga, base) };
    },
  });
  return { ...subgraph, recoverUnfinishedOrders: saga.recover, close: async () => clearInterval(timer) };
}
