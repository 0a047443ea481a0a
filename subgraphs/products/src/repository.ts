import {
  type Cursor,
  containsPattern,
  containsText,
  type GroupedPageSpec,
  type PageRequest,
  type PreparedReads,
  queryGroupedPages,
  type ReadStatement,
} from '@shop/subgraph-runtime';
import type { Category, Prisma, PrismaClient, Product } from './generated/prisma/client.js';
import {
  RESERVATION_TRANSITIONS,
  type ReservationStatus,
  type ReservationTransition,
  reservationMayMove,
} from './reservation-states.js';

export type { Category, Product } from './generated/prisma/client.js';

/** A product as the hot reads return it: its category joined in the same statement (null: none). */
export type ProductWithCategory = Product & { category: Category | null };
/** What resolvers get as a Product: from a hot read (category joined) or from a write (category loaded). */
export type ProductRow = Product & { category?: Category | null };

/** What a SKU looks like; nothing else can name a product, so nothing else is looked up. */
export const SKU = /^[A-Z0-9][A-Z0-9-]{1,63}$/;

export type ProductOrder = 'NEWEST' | 'NAME_ASC' | 'PRICE_ASC' | 'PRICE_DESC';

/** Each API ordering as (field, column, direction, type); id in the same direction breaks ties. */
export const PRODUCT_ORDERS = {
  NEWEST: { field: 'createdAt', column: 'created_at', direction: 'desc', type: 'timestamptz' },
  NAME_ASC: { field: 'name', column: 'name', direction: 'asc', type: 'text' },
  PRICE_ASC: { field: 'priceAmount', column: 'price_amount', direction: 'asc', type: 'int4' },
  PRICE_DESC: { field: 'priceAmount', column: 'price_amount', direction: 'desc', type: 'int4' },
} as const satisfies Record<
  ProductOrder,
  { field: keyof Product; column: string; direction: 'asc' | 'desc'; type: string }
>;

/** A product's columns as the row type names them, on the table aliased `alias`. */
const productColumnsOn = (alias: string) =>
  `${alias}."id", ${alias}."sku", ${alias}."name", ${alias}."description", ${alias}."price_amount" AS "priceAmount",
  ${alias}."price_currency"::text AS "priceCurrency", ${alias}."stock", ${alias}."category_id" AS "categoryId",
  ${alias}."created_at" AS "createdAt", ${alias}."updated_at" AS "updatedAt", ${alias}."archived_at" AS "archivedAt"`;
/** A product's columns on `p` and its category's on `c`. */
const PRODUCT_COLUMNS = `${productColumnsOn('p')},
  c."slug" AS "categorySlug", c."name" AS "categoryName", c."created_at" AS "categoryCreatedAt"`;
const PRODUCTS_AND_CATEGORIES = `"products" p LEFT JOIN "categories" c ON c."id" = p."category_id"`;

function productOf(raw: Record<string, unknown>): ProductWithCategory {
  const { categorySlug, categoryName, categoryCreatedAt, ...product } = raw as unknown as Product & {
    categorySlug: string;
    categoryName: string;
    categoryCreatedAt: Date;
  };
  const category = product.categoryId
    ? { id: product.categoryId, slug: categorySlug, name: categoryName, createdAt: categoryCreatedAt }
    : null;
  return { ...product, category };
}

const PRODUCTS_BY_IDS: ReadStatement = {
  name: 'products:by-ids',
  text: `SELECT ${PRODUCT_COLUMNS} FROM ${PRODUCTS_AND_CATEGORIES} WHERE p."id" = ANY($1::uuid[])`,
};
const PRODUCTS_BY_SKUS: ReadStatement = {
  name: 'products:by-skus',
  text: `SELECT ${PRODUCT_COLUMNS} FROM ${PRODUCTS_AND_CATEGORIES} WHERE p."sku" = ANY($1::text[])`,
};

/** A category's products page in name order. */
const CATEGORY_PRODUCTS: GroupedPageSpec = {
  name: 'products:of-categories',
  table: 'products',
  columns: productColumnsOn('t'),
  groupColumn: 'category_id',
  sortColumn: 'name',
  sortType: 'text',
  direction: 'asc',
  rowsShown: 't."archived_at" IS NULL',
};

export interface ProductQuery {
  search?: string | undefined;
  categorySlug?: string | undefined;
  minPrice?: number | undefined;
  maxPrice?: number | undefined;
  inStock?: boolean | undefined;
  ids?: string[] | undefined;
}

export interface StockChange {
  productId: string;
  quantity: number;
}

/**
 * A catalogue page as one statement: the products on sale that `query` matches, their categories joined, `take`
 * rows after the cursor, and (`withCount`) the count of all matches, before the cursor, as a scalar subquery on
 * every row. The text depends only on which filters are present: each shape is its own prepared statement.
 */
function catalogueStatement(
  query: ProductQuery,
  order: ProductOrder,
  after: Cursor | null,
  take: number,
  withCount: boolean,
): { statement: ReadStatement; params: unknown[] } {
  const params: unknown[] = [];
  const bind = (value: unknown, type: string) => {
    params.push(value);
    return `$${params.length}::${type}`;
  };
  const shape: string[] = [order];
  const conditions = ['p."archived_at" IS NULL'];
  if (query.search !== undefined) {
    const pattern = bind(containsPattern(query.search), 'text');
    conditions.push(`(p."name" ILIKE ${pattern} OR p."description" ILIKE ${pattern} OR p."sku" ILIKE ${pattern})`);
    shape.push('search');
  }
  if (query.categorySlug !== undefined) {
    conditions.push(`c."slug" = ${bind(query.categorySlug, 'text')}`);
    shape.push('category');
  }
  if (query.minPrice !== undefined) {
    conditions.push(`p."price_amount" >= ${bind(query.minPrice, 'int4')}`);
    shape.push('min');
  }
  if (query.maxPrice !== undefined) {
    conditions.push(`p."price_amount" <= ${bind(query.maxPrice, 'int4')}`);
    shape.push('max');
  }
  if (query.inStock !== undefined) {
    conditions.push(query.inStock ? 'p."stock" > 0' : 'p."stock" <= 0');
    shape.push(query.inStock ? 'in-stock' : 'out-of-stock');
  }
  if (query.ids !== undefined) {
    conditions.push(`p."id" = ANY(${bind(query.ids, 'uuid[]')})`);
    shape.push('ids');
  }
  // The count is its own aggregate over every match (no sort, no join beyond the filters' own); the page is
  // still read along the (column, id) index up to its limit.
  const matching = conditions.join(' AND ');
  const count = withCount
    ? `, (SELECT count(*)::int FROM ${PRODUCTS_AND_CATEGORIES} WHERE ${matching}) AS "_total"`
    : '';
  if (withCount) shape.push('count');
  const { column, direction, type } = PRODUCT_ORDERS[order];
  let where = matching;
  if (after) {
    const beyond = direction === 'asc' ? '>' : '<';
    where += ` AND (p."${column}", p."id") ${beyond} (${bind(after.value, type)}, ${bind(after.id, 'uuid')})`;
    shape.push('after');
  }
  const text = `SELECT ${PRODUCT_COLUMNS}${count} FROM ${PRODUCTS_AND_CATEGORIES} WHERE ${where}
    ORDER BY p."${column}" ${direction}, p."id" ${direction} LIMIT ${bind(take, 'int4')}`;
  return { statement: { name: `products:catalogue:${shape.join('+')}`, text }, params };
}

/** The only code that talks to the products database. */
export function createProductRepository(prisma: PrismaClient, reads: PreparedReads) {
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
    ...(query.categorySlug !== undefined ? { category: { slug: query.categorySlug } } : {}),
    ...(query.minPrice !== undefined || query.maxPrice !== undefined
      ? { priceAmount: { gte: query.minPrice, lte: query.maxPrice } }
      : {}),
    ...(query.inStock === true ? { stock: { gt: 0 } } : query.inStock === false ? { stock: { lte: 0 } } : {}),
    ...(query.ids !== undefined ? { id: { in: query.ids } } : {}),
  });

  return {
    findProductsByIds: async (ids: string[]) =>
      (await reads.query<Record<string, unknown>>(PRODUCTS_BY_IDS, [ids])).map(productOf),
    findProductsBySkus: async (skus: string[]) =>
      (await reads.query<Record<string, unknown>>(PRODUCTS_BY_SKUS, [skus])).map(productOf),
    findCategoriesByIds: (ids: string[]) => prisma.category.findMany({ where: { id: { in: ids } } }),
    listCategories: () => prisma.category.findMany({ orderBy: { name: 'asc' } }),

    /**
     * One catalogue page in one statement: `take` rows after the cursor in the given order, their categories,
     * and with `withCount` the number of all matches (null when the page is empty after a cursor: no row carried it).
     */
    listProducts: async (
      query: ProductQuery,
      order: ProductOrder,
      page: { after: Cursor | null; take: number; withCount: boolean },
    ) => {
      const { statement, params } = catalogueStatement(query, order, page.after, page.take, page.withCount);
      const rows = await reads.query<Record<string, unknown>>(statement, params);
      const total = rows.length > 0 ? ((rows[0]?._total as number | undefined) ?? null) : page.after ? null : 0;
      return { products: rows.map(({ _total, ...row }) => productOf(row)), total };
    },
    countProducts: (query: ProductQuery) => prisma.product.count({ where: whereOf(query) }),

    /** For many categories at once, each one's page (and count when asked for) in one statement. */
    productPagesByCategory: (categoryIds: string[], page: PageRequest) =>
      queryGroupedPages(reads, CATEGORY_PRODUCTS, categoryIds, page, (row) => row as unknown as Product),
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
        // The reservation's row first (nothing if the order has one): a second reserve for the order finds it.
        const { count: isNew } = await tx.stockReservation.createMany({
          data: [{ orderId, status: 'RESERVED' }],
          skipDuplicates: true,
        });
        if (isNew === 0) {
          return tx.stockReservation.findUniqueOrThrow({ where: { orderId }, select: { status: true, items: true } });
        }
        const short: string[] = [];
        const prices = new Map<string, { priceAmount: number; priceCurrency: string }>();
        for (const item of byProductId(items)) {
          // Each decrement answers the price it took the stock at (UPDATE … RETURNING).
          const [taken] = await tx.product.updateManyAndReturn({
            where: { id: item.productId, stock: { gte: item.quantity }, archivedAt: null },
            data: { stock: { decrement: item.quantity } },
            select: { priceAmount: true, priceCurrency: true },
          });
          if (taken) prices.set(item.productId, taken);
          else short.push(item.productId);
        }
        if (short.length > 0) throw new InsufficientStock(short);
        const reserved = await tx.stockReservationItem.createManyAndReturn({
          data: items.map((item) => ({
            orderId,
            productId: item.productId,
            quantity: item.quantity,
            unitPriceAmount: prices.get(item.productId)?.priceAmount ?? 0,
            currency: prices.get(item.productId)?.priceCurrency ?? 'EUR',
          })),
        });
        return { status: 'RESERVED' as const, items: reserved };
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
        // Items only when the transition gives stock back (release, return).
        const reservation = await tx.stockReservation.findUnique({
          where: { orderId },
          include: { items: stock === 'give back' },
        });
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
