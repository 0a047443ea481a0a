import { hostname } from 'node:os';
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
  const saga = createPlaceOrderSaga(repository, products, log, {
    workerId: `${hostname()}:${process.pid}`,
    claimMs: env.ORDER_PENDING_TIMEOUT_SECONDS * 1000,
  });
  // Settle what a previous run left unfinished, then keep sweeping (replicas too: each claims its own orders).
  // A tick that comes while the last sweep still runs is skipped.
  let sweeping: Promise<unknown> | null = null;
  const sweep = () => {
    sweeping ??= saga
      .recover()
      .catch((error: unknown) => log.warn({ err: error }, 'recovery sweep failed; retrying at the next interval'))
      .finally(() => {
        sweeping = null;
      });
  };
  sweep();
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
  return {
    ...subgraph,
    recoverUnfinishedOrders: saga.recover,
    close: async () => {
      clearInterval(timer);
      await sweeping;
    },
  };
}
