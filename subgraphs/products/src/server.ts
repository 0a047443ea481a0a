import { createSubgraph, type SubgraphDependencies } from '@shop/subgraph-kit';
import type { ProductsContext } from './context.js';
import type { Environment } from './env.js';
import type { PrismaClient } from './generated/prisma/client.js';
import { createProductLoaders } from './loaders.js';
import { createProductRepository } from './repository.js';
import { resolvers } from './resolvers.js';
import { createProductService } from './service.js';

/** The products subgraph on a database (no listening: main.ts and the tests do that). */
export async function createProductsSubgraph(runtime: SubgraphDependencies<PrismaClient, Environment>) {
  const { prisma } = runtime;
  const repository = createProductRepository(prisma);
  return createSubgraph<ProductsContext>(runtime, {
    schemaFile: new URL('../schema.graphql', import.meta.url),
    resolvers,
    context: (base) => {
      const loaders = createProductLoaders(repository);
      return { ...base, loaders, products: createProductService(repository, loaders, base) };
    },
  });
}
