import { z } from '@shop/platform';
import { defineSubgraph, prismaClient } from '@shop/subgraph-runtime';
import type { FaqContext } from './context.js';
import { PrismaClient } from './generated/prisma/client.js';
import { createFaqLoaders } from './loaders.js';
import { createFaqRepository } from './repository.js';
import { resolvers } from './resolvers.js';
import { seedQuestions } from './seed.js';
import { createFaqService } from './service.js';

/** The FAQ subgraph: the help centre, and Product.faqs (the house discovers it by this manifest). */
export default defineSubgraph({
  name: 'faq',
  port: 4004,
  schemaFile: new URL('../schema.graphql', import.meta.url),
  migrationsDir: new URL('../../../prisma/faq/migrations/', import.meta.url),
  settings: z.object({}),
  createClient: prismaClient(PrismaClient),
  seed: seedQuestions,
  codegen: {
    context: 'FaqContext',
    mappers: {
      Faq: './repository.js#Faq as FaqRow',
      FaqConnection: './context.js#FaqConnectionRow',
      Product: './context.js#ProductReference',
    },
  },
  resolvers,
  start: ({ prisma }) => {
    const repository = createFaqRepository(prisma);
    return {
      context: (base): FaqContext => {
        const loaders = createFaqLoaders(repository);
        return { ...base, loaders, faqs: createFaqService(repository, loaders, base) };
      },
    };
  },
});
