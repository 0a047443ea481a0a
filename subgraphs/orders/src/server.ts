import { readFileSync } from 'node:fs';
import { createSubgraph, databaseAnswers, type SubgraphDependencies } from '@shop/subgraph-kit';
import { parse } from 'graphql';
import type { OrdersContext } from './context.js';
import type { Environment } from './env.js';
import type { PrismaClient } from './generated/prisma/client.js';
import { createOrderLoaders } from './loaders.js';
import { createPlaceOrderSaga } from './place-order-saga.js';
import { createProductsClient } from './products-client.js';
import { createOrderRepository } from './repository.js';
import { resolvers } from './resolvers.js';
import { createOrderService } from './service.js';

export const typeDefs = parse(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));

/** The orders subgraph on a database (no listening: main.ts and the tests do that). */
export async function createOrdersSubgraph({
  prisma,
  env,
  log,
  verifyToken,
  internalToken,
}: SubgraphDependencies<PrismaClient, Environment>) {
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
  const subgraph = await createSubgraph<OrdersContext>({
    typeDefs,
    resolvers,
    log,
    production: env.NODE_ENV === 'production',
    verifyToken,
    internalToken,
    context: (base) => {
      const loaders = createOrderLoaders(repository);
      return { ...base, loaders, orders: createOrderService(repository, loaders, saga, base) };
    },
    ready: () => databaseAnswers(prisma),
  });
  return { ...subgraph, recoverUnfinishedOrders: saga.recover, close: async () => clearInterval(timer) };
}
