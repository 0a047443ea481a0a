import { readFileSync } from 'node:fs';
import { createSubgraph, databaseAnswers, type SubgraphDependencies } from '@shop/subgraph-kit';
import { parse } from 'graphql';
import type { ProductsContext } from './context.js';
import type { Environment } from './env.js';
import type { PrismaClient } from './generated/prisma/client.js';
import { createProductLoaders } from './loaders.js';
import { createProductRepository } from './repository.js';
import { resolvers } from './resolvers.js';
import { createProductService } from './service.js';

export const typeDefs = parse(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));

/** The products subgraph on a database (no listening: main.ts and the tests do that). */
export async function createProductsSubgraph({
  prisma,
  env,
  log,
  verifyToken,
  internalToken,
}: SubgraphDependencies<PrismaClient, Environment>) {
  const repository = createProductRepository(prisma);
  return createSubgraph<ProductsContext>({
    typeDefs,
    resolvers,
    log,
    production: env.NODE_ENV === 'production',
    verifyToken,
    internalToken,
    context: (base) => {
      const loaders = createProductLoaders(repository);
      return { ...base, loaders, products: createProductService(repository, loaders, base) };
    },
    ready: () => databaseAnswers(prisma),
  });
}
