import {
  afterCursor,
  type Cursor,
  containsText,
  type GroupedPageSpec,
  type PageRequest,
  queryGroupedPageIds,
} from '@shop/subgraph-runtime';
import type { Prisma, PrismaClient, Product } from './generated/prisma/client.js';
import {
  RESERVATION_TRANSITIONS,
  type ReservationStatus,
  type ReservationTransition,
  reservationMayMove,
} from './reservation-states.js';

export type { Category, Product } from './generated/prisma/client.js';

/** What a SKU looks like; nothing else can name a product, so nothing else is looked up. */
export const SKU = /^[A-Z0-9][A-Z0-9-]{1,63}$/;

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
  rowsShown: '"archived_at" IS NULL',
};

export interface ProductQuery {
  search?: string | undefined;
  categoryId?: string | undefined;
  minPrice?: number | undefined;
  maxPrice?: number | undefined;
  inStock?: boolean | undefined;
  ids?: string[] | undefined;
}

export interface StockChange {
  productId: string;
  quantity: number;
}

/** The only code that talks to the products database. */
export function createProductRepository(prisma: PrismaClient) {
  // The catalogue lists only products on sale: archived ones are still found by id or SKU (references).
  const whereOf = (query: ProductQuery): Prisma.ProductWhereInput => ({
    archivedAt: null,
    ...(query.search
      ? {
          OR: [
            { name: containsText(query.search) },
            { description: containsText(query.search) },
            { sku: containsText(query.search) },
          ],
        }
      : {}),
    ...(query.categoryId !== undefined ? { categoryId: query.categoryId } : {}),
    ...(query.minPrice !== undefined || query.maxPrice !== undefined
      ? { priceAmount: { gte: query.minPrice, lte: query.maxPrice } }
      : {}),
    ...(query.inStock === true ? { stock: { gt: 0 } } : query.inStock === false ? { stock: { lte: 0 } } : {}),
    ...(query.ids !== undefined ? { id: { in: query.ids } } : {}),
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
        where: { categoryId: { in: categoryIds }, archivedAt: null },
        _count: { _all: true },
      });
      return new Map(counts.map((row) => [row.categoryId ?? '', row._count._all]));
    },

    createProduct: (data: Prisma.ProductUncheckedCreateInput) => prisma.product.create({ data }),
    updateProduct: (id: string, data: Prisma.ProductUncheckedUpdateInput) =>
      prisma.product.update({ where: { id }, data }),
    /** Takes a product off sale for good (it stays readable for what references it); false if already archived. */
    archiveProduct: async (id: string) =>
      (await prisma.product.updateMany({ where: { id, archivedAt: null }, data: { archivedAt: new Date() } })).count >
      0,
    /** Adds to the stock unless that would take it over `max`: then null, and nothing changes. */
    restockProduct: async (id: string, quantity: number, max: number) => {
      const { count } = await prisma.product.updateMany({
        where: { id, stock: { lte: max - quantity } },
        data: { stock: { increment: quantity } },
      });
      return count === 1 ? prisma.product.findUniqueOrThrow({ where: { id } }) : null;
    },

    /**
     * Takes stock for every item of an order, or for none, and records the reservation with the prices read in
     * the same transaction. Each decrement is conditional on enough stock, so concurrent buyers are serialised
     * by the row lock and stock never goes below zero. Rows are locked in product id order, as everywhere stock
     * moves, so two orders for the same products never deadlock. An existing reservation is returned as is.
     */
    reserveStock: (orderId: string, items: StockChange[]) =>
      prisma.$transaction(async (tx) => {
        const existing = await tx.stockReservation.findUnique({ where: { orderId }, include: { items: true } });
        if (existing) return existing;
        const short: string[] = [];
        for (const item of byProductId(items)) {
          const { count } = await tx.product.updateMany({
            where: { id: item.productId, stock: { gte: item.quantity }, archivedAt: null },
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
     * Moves an order's reservation by one of its transitions (release, commit, return) as a compare-and-set, and
     * gives the stock back when the transition says so, in one transaction. Returns the status afterwards (null:
     * still no reservation): a late or repeated message finds the reservation already moved and changes nothing.
     * Releasing an order with no reservation records a RELEASED one, so a late reserve for it takes nothing.
     */
    moveReservation: (orderId: string, transition: Exclude<ReservationTransition, 'reserve'>) =>
      prisma.$transaction(async (tx): Promise<ReservationStatus | null> => {
        const { to, stock } = RESERVATION_TRANSITIONS[transition];
        const reservation = await tx.stockReservation.findUnique({ where: { orderId }, include: { items: true } });
        if (!reservation) {
          if (!reservationMayMove(transition, null)) return null;
          await tx.stockReservation.create({ data: { orderId, status: to } });
          return to;
        }
        if (!reservationMayMove(transition, reservation.status)) return reservation.status;
        const { count } = await tx.stockReservation.updateMany({
          where: { orderId, status: reservation.status },
          data: { status: to },
        });
        // Moved by a concurrent message between our read and our update: report where it is now.
        if (count === 0) return (await tx.stockReservation.findUnique({ where: { orderId } }))?.status ?? null;
        if (stock === 'give back') {
          for (const item of byProductId(reservation.items)) {
            await tx.product.updateMany({
              where: { id: item.productId },
              data: { stock: { increment: item.quantity } },
            });
          }
        }
        return to;
      }),

    findReservation: (orderId: string) => prisma.stockReservation.findUnique({ where: { orderId } }),
  };
}

export type ProductRepository = ReturnType<typeof createProductRepository>;

/** Every stock operation locks product rows in this one order (by id): then no two of them wait on each other. */
const byProductId = <Item extends { productId: string }>(items: Item[]) =>
  [...items].sort((a, b) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0));

/** Thrown inside the stock transaction to roll it back; carries the products that were short. */
export class InsufficientStock extends Error {
  constructor(readonly productIds: string[]) {
    super(`not enough stock for ${productIds.join(', ')}`);
  }
}
