import { readFileSync } from 'node:fs';
import { createSubgraph, databaseAnswers, type SubgraphDependencies } from '@shop/subgraph-kit';
import { parse } from 'graphql';
import type { FaqContext } from './context.js';
import type { Environment } from './env.js';
import type { PrismaClient } from './generated/prisma/client.js';
import { createFaqLoaders } from './loaders.js';
import { createFaqRepository } from './repository.js';
import { resolvers } from './resolvers.js';
import { createFaqService } from './service.js';

export const typeDefs = parse(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));

/** The FAQ subgraph on a database (no listening: main.ts and the tests do that). */
export async function createFaqSubgraph({
  prisma,
  env,
  log,
  verifyToken,
  internalToken,
}: SubgraphDependencies<PrismaClient, Environment>) {
  const repository = createFaqRepository(prisma);
  return createSubgraph<FaqContext>({
    typeDefs,
    resolvers,
    log,
    production: env.NODE_ENV === 'production',
    verifyToken,
    internalToken,
    context: (base) => {
      const loaders = createFaqLoaders(repository);
      return { ...base, loaders, faqs: createFaqService(repository, loaders, base.viewer) };
    },
    ready: () => databaseAnswers(prisma),
  });
}
