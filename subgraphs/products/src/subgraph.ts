import { z } from '@shop/platform';
import { defineSubgraph, prismaClient } from '@shop/subgraph-runtime';
import { productsCache } from './cache.js';
import type { ProductsContext } from './context.js';
import { PrismaClient } from './generated/prisma/client.js';
import { createProductLoaders } from './loaders.js';
import { createProductRepository } from './repository.js';
import { resolvers } from './resolvers.js';
import { seedCatalogue } from './seed.js';
import { createProductService } from './service.js';

/** The products subgraph: the catalogue and its stock (the house discovers it by this manifest). */
export default defineSubgraph({
  name: 'products',
  port: 4002,
  schemaFile: new URL('../schema.graphql', import.meta.url),
  migrationsDir: new URL('../../../prisma/products/migrations/', import.meta.url),
  settings: z.object({}),
  createClient: prismaClient(PrismaClient),
  seed: seedCatalogue,
  cache: productsCache,
  errorCodes: {
    OUT_OF_STOCK: {
      httpStatus: 200,
      when: '`placeOrder` asks for more than is in stock; the message names the product and what is left',
    },
    PRODUCT_ARCHIVED: {
      httpStatus: 200,
      when: '`placeOrder` names a product that is no longer sold (deleted); the message names it',
    },
  },
  codegen: {
    context: 'ProductsContext',
    mappers: {
      Product: './repository.js#ProductRow',
      Category: './repository.js#Category as CategoryRow',
      ProductConnection: './context.js#ProductConnectionRow',
    },
  },
  resolvers,
  start: ({ prisma, reads }) => {
    const repository = createProductRepository(prisma, reads);
    return {
      context: (base): ProductsContext => {
        const loaders = createProductLoaders(repository);
        return { ...base, loaders, products: createProductService(repository, loaders, base) };
      },
    };
  },
});
