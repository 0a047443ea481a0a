import { seedOrders as seededOrders, seedId, seedProduct, seedStockState } from '../../../prisma/seed/data.js';
import type { PrismaClient } from './generated/prisma/client.js';
import { requestHashOf } from './place-order-saga.js';

/** The development data set's orders, in settled states (products seeds the matching reservations). */
export async function seedOrders(prisma: PrismaClient): Promise<void> {
  // Orders one by one, oldest first, so order numbers follow the order dates.
  for (const order of seededOrders) {
    const id = seedId('order', order.key);
    if (await prisma.order.findUnique({ where: { id }, select: { id: true } })) continue;
    const items = order.items.map((item) => ({
      id: seedId('order-item', `${order.key}:${item.sku}`),
      productId: seedId('product', item.sku),
      quantity: item.quantity,
      unitPriceAmount: seedProduct(item.sku).price,
      productName: seedProduct(item.sku).name,
      productSku: item.sku,
    }));
    await prisma.order.create({
      data: {
        id,
        userId: seedId('user', order.user),
        status: order.status,
        stockState: seedStockState(order),
        cancelReason: order.status === 'CANCELLED' ? 'cancelled by the customer' : null,
        requestHash: requestHashOf(items.map(({ productId, quantity }) => ({ productId, quantity }))),
        currency: 'EUR',
        totalAmount: items.reduce((sum, item) => sum + item.quantity * item.unitPriceAmount, 0),
        createdAt: new Date(order.placedAt),
        items: { create: items },
      },
    });
  }
}
