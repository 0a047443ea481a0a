import { z } from '@shop/platform';
import { defineSubgraph, prismaClient } from '@shop/subgraph-runtime';
import { faqCache } from './cache.js';
import type { FaqContext } from './context.js';
import { PrismaClient } from './generated/prisma/client.js';
import { createFaqLoaders } from './loaders.js';
import { createProductsClient } from './products-client.js';
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
  settings: z.object({
    /** The products subgraph, asked directly whether the product an FAQ is about exists. */
    PRODUCTS_URL: z.url().default('http://127.0.0.1:4002/graphql'),
  }),
  createClient: prismaClient(PrismaClient),
  seed: seedQuestions,
  cache: faqCache,
  codegen: {
    context: 'FaqContext',
    mappers: {
      Faq: './repository.js#Faq as FaqRow',
      FaqConnection: './context.js#FaqConnectionRow',
      Product: './context.js#ProductReference',
    },
  },
  resolvers,
  start: ({ prisma, reads, settings, internalToken }) => {
    const repository = createFaqRepository(prisma, reads);
    const products = createProductsClient(settings.PRODUCTS_URL, internalToken);
    return {
      context: (base): FaqContext => {
        const loaders = createFaqLoaders(repository);
        return { ...base, loaders, faqs: createFaqService(repository, loaders, products, base) };
      },
    };
  },
});
