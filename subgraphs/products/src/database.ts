import { defineServiceDatabase } from '@shop/subgraph-kit';
import { seedCategories, seedId, seedProducts } from '../../../prisma/seed/data.js';
import { PrismaClient } from './generated/prisma/client.js';

export const productsDatabase = defineServiceDatabase({
  service: 'products',
  // Typed as the plain client: query events are an opt-in for tests, not part of the service's API.
  createClient: (adapter, logQueries): PrismaClient =>
    new PrismaClient({ adapter, log: logQueries ? [{ emit: 'event', level: 'query' }] : [] }),
  seed: async (prisma) => {
    await prisma.category.createMany({
      data: seedCategories.map((category) => ({ id: seedId('category', category.slug), ...category })),
      skipDuplicates: true,
    });
    await prisma.product.createMany({
      data: seedProducts.map((product, index) => ({
        id: seedId('product', product.sku),
        sku: product.sku,
        name: product.name,
        description: product.description,
        priceAmount: product.price,
        priceCurrency: 'EUR',
        stock: product.stock,
        categoryId: seedId('category', product.category),
        // Spread creation times so "newest first" has a stable, meaningful order.
        createdAt: new Date(Date.UTC(2026, 5, 1 + index)),
      })),
      skipDuplicates: true,
    });
  },
});
