import {
  afterCursor,
  type Cursor,
  type GroupedPageSpec,
  type PageRequest,
  queryGroupedPageIds,
} from '@shop/subgraph-kit';
import type { Prisma, PrismaClient, Product } from './generated/prisma/client.js';

export type { Category, Product } from './generated/prisma/client.js';

export type ProductOrder = 'NEWEST' | 'NAME_ASC' | 'PRICE_ASC' | 'PRICE_DESC';

/** Each API ordering as (column, direction); id in the same direction breaks ties. */
export const PRODUCT_ORDERS = {
  NEWEST: { field: 'createdAt', direction: 'desc' },
  NAME_ASC: { field: 'name', direction: 'asc' },
  PRICE_ASC: { field: 'priceAmount', direction: 'asc' },
  PRICE_DESC: { field: 'priceAmount', direction: 'desc' },
} as const satisfies Record<ProductOrder, { field: keyof Product; direction: 'asc' | 'desc' }>;

/** A category's products page in name order. */
const CATEGORY_PRODUCTS: GroupedPageSpec = {
  table: 'products',
  groupColumn: 'category_id',
  sortColumn: 'name',
  sortType: 'text',
  direction: 'asc',
};

export interface ProductQuery {
  search?: string | undefined;
  categoryId?: string | undefined;
  minPrice?: number | undefined;
  maxPrice?: number | undefined;
  inStock?: boolean | undefined;
}

export interface StockChange {
  productId: string;
  quantity: number;
}

/** The only code that talks to the products database. */
export function createProductRepository(prisma: PrismaClient) {
  const whereOf = (query: ProductQuery): Prisma.ProductWhereInput => ({
    ...(query.search
      ? {
          OR: [
            { name: { contains: query.search, mode: 'insensitive' } },
            { description: { contains: query.search, mode: 'insensitive' } },
            { sku: { contains: query.search, mode: 'insensitive' } },
          ],
        }
      : {}),
    ...(query.categoryId !== undefined ? { categoryId: query.categoryId } : {}),
    ...(query.minPrice !== undefined || query.maxPrice !== undefined
      ? { priceAmount: { gte: query.minPrice, lte: query.maxPrice } }
      : {}),
    ...(query.inStock === true ? { stock: { gt: 0 } } : query.inStock === false ? { stock: { lte: 0 } } : {}),
  });

  return {
    findProductsByIds: (ids: string[]) => prisma.product.findMany({ where: { id: { in: ids } } }),
    findProductsBySkus: (skus: string[]) => prisma.product.findMany({ where: { sku: { in: skus } } }),
    findCategoriesByIds: (ids: string[]) => prisma.category.findMany({ where: { id: { in: ids } } }),
    findCategoryBySlug: (slug: string) => prisma.category.findUnique({ where: { slug } }),
    listCategories: () => prisma.category.findMany({ orderBy: { name: 'asc' } }),

    /** One page of products: `take` rows after the cursor in the given order. */
    listProducts: (query: ProductQuery, order: ProductOrder, after: Cursor | null, take: number) => {
      const { field, direction } = PRODUCT_ORDERS[order];
      return prisma.product.findMany({
        where: { AND: [whereOf(query), afterCursor(field, direction, after) as Prisma.ProductWhereInput] },
        orderBy: [{ [field]: direction }, { id: direction }],
        take,
      });
    },
    countProducts: (query: ProductQuery) => prisma.product.count({ where: whereOf(query) }),

    /** For many categories at once, the ids on each one's page (one statement). */
    productPageIdsByCategory: (categoryIds: string[], page: PageRequest) =>
      queryGroupedPageIds(prisma, CATEGORY_PRODUCTS, categoryIds, page),
    countProductsByCategory: async (categoryIds: string[]) => {
      const counts = await prisma.product.groupBy({
        by: ['categoryId'],
        where: { categoryId: { in: categoryIds } },
        _count: { _all: true },
      });
      return new Map(counts.map((row) => [row.categoryId ?? '', row._count._all]));
    },

    createProduct: (data: Prisma.ProductUncheckedCreateInput) => prisma.product.create({ data }),
    updateProduct: (id: string, data: Prisma.ProductUncheckedUpdateInput) =>
      prisma.product.update({ where: { id }, data }),
    deleteProduct: async (id: string) => (await prisma.product.deleteMany({ where: { id } })).count > 0,
    restockProduct: (id: string, quantity: number) =>
      prisma.product.update({ where: { id }, data: { stock: { increment: quantity } } }),

    /**
     * Takes stock for every item of an order, or for none, and records the reservation with the prices read in
     * the same transaction. Each decrement is conditional on enough stock, so concurrent buyers are serialised
     * by the row lock and stock never goes below zero. An existing reservation for the order is returned as is.
     */
    reserveStock: (orderId: string, items: StockChange[]) =>
      prisma.$transaction(async (tx) => {
        const existing = await tx.stockReservation.findUnique({ where: { orderId }, include: { items: true } });
        if (existing) return existing;
        const short: string[] = [];
        for (const item of items) {
          const { count } = await tx.product.updateMany({
            where: { id: item.productId, stock: { gte: item.quantity } },
            data: { stock: { decrement: item.quantity } },
          });
          if (count === 0) short.push(item.productId);
        }
        if (short.length > 0) throw new InsufficientStock(short);
        const products = await tx.product.findMany({ where: { id: { in: items.map((item) => item.productId) } } });
        const byId = new Map(products.map((product) => [product.id, product]));
        return tx.stockReservation.create({
          data: {
            orderId,
            status: 'RESERVED',
            items: {
              create: items.map((item) => ({
                productId: item.productId,
                quantity: item.quantity,
                unitPriceAmount: byId.get(item.productId)?.priceAmount ?? 0,
                currency: byId.get(item.productId)?.priceCurrency ?? 'EUR',
              })),
            },
          },
          include: { items: true },
        });
      }),

    /**
     * Gives an order's stock back exactly once (only the transaction that moves the reservation to RELEASED
     * adds the stock), or, with no reservation yet, records a RELEASED one so a late reserve is refused.
     */
    releaseStock: (orderId: string) =>
      prisma.$transaction(async (tx) => {
        const reservation = await tx.stockReservation.findUnique({ where: { orderId }, include: { items: true } });
        if (!reservation) {
          await tx.stockReservation.create({ data: { orderId, status: 'RELEASED' } });
          return false;
        }
        const { count } = await tx.stockReservation.updateMany({
          where: { orderId, status: { in: ['RESERVED', 'COMMITTED'] } },
          data: { status: 'RELEASED' },
        });
        if (count === 0) return false;
        for (const item of reservation.items) {
          await tx.product.updateMany({ where: { id: item.productId }, data: { stock: { increment: item.quantity } } });
        }
        return true;
      }),

    commitStock: (orderId: string) =>
      prisma.stockReservation.updateMany({ where: { orderId, status: 'RESERVED' }, data: { status: 'COMMITTED' } }),
    findReservation: (orderId: string) => prisma.stockReservation.findUnique({ where: { orderId } }),
  };
}

export type ProductRepository = ReturnType<typeof createProductRepository>;

/** Thrown inside the stock transaction to roll it back; carries the products that were short. */
export class InsufficientStock extends Error {
  constructor(readonly productIds: string[]) {
    super(`not enough stock for ${productIds.join(', ')}`);
  }
}
