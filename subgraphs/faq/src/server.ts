import { createSubgraph, type SubgraphDependencies } from '@shop/subgraph-kit';
import type { FaqContext } from './context.js';
import type { Environment } from './env.js';
import type { PrismaClient } from './generated/prisma/client.js';
import { createFaqLoaders } from './loaders.js';
import { createFaqRepository } from './repository.js';
import { resolvers } from './resolvers.js';
import { createFaqService } from './service.js';

/** The FAQ subgraph on a database (no listening: main.ts and the tests do that). */
export async function createFaqSubgraph(runtime: SubgraphDependencies<PrismaClient, Environment>) {
  const { prisma } = runtime;
  const repository = createFaqRepository(prisma);
  return createSubgraph<FaqContext>(runtime, {
    schemaFile: new URL('../schema.graphql', import.meta.url),
    resolvers,
    context: (base) => {
      const loaders = createFaqLoaders(repository);
      return { ...base, loaders, faqs: createFaqService(repository, loaders, base.viewer) };
    },
  });
}
