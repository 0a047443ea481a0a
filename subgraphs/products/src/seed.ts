import {
  seedCategories,
  seedId,
  seedOrders,
  seedProduct,
  seedProducts,
  seedStockState,
} from '../../../prisma/seed/data.js';
import type { PrismaClient } from './generated/prisma/client.js';

/** The development data set: categories, products, and the reservations the seeded orders left. */
export async function seedCatalogue(prisma: PrismaClient): Promise<void> {
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
  // The reservations the seeded orders would have left (seed stock is what remains after them).
  for (const order of seedOrders) {
    const orderId = seedId('order', order.key);
    if (await prisma.stockReservation.findUnique({ where: { orderId }, select: { orderId: true } })) continue;
    await prisma.stockReservation.create({
      data: {
        orderId,
        status: seedStockState(order),
        createdAt: new Date(order.placedAt),
        items: {
          create: order.items.map((item) => ({
            productId: seedId('product', item.sku),
            quantity: item.quantity,
            unitPriceAmount: seedProduct(item.sku).price,
            currency: 'EUR',
          })),
        },
      },
    });
  }
}
