import { readFileSync } from 'node:fs';
import { createSubgraph, databaseAnswers, type SubgraphDependencies } from '@shop/subgraph-kit';
import { parse } from 'graphql';
import type { OrdersContext } from './context.js';
import type { Environment } from './env.js';
import type { PrismaClient } from './generated/prisma/client.js';
import { createOrderLoaders } from './loaders.js';
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
}: SubgraphDependencies<PrismaClient, Environment>) {
  const repository = createOrderRepository(prisma);
  const products = createProductsClient(env.PRODUCTS_URL);
  return createSubgraph<OrdersContext>({
    typeDefs,
    resolvers,
    log,
    production: env.NODE_ENV === 'production',
    verifyToken,
    context: (base) => {
      const loaders = createOrderLoaders(repository);
      return { ...base, loaders, orders: createOrderService(repository, loaders, products, base) };
    },
    ready: () => databaseAnswers(prisma),
  });
}
