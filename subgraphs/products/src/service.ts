import { badUserInput, notFound, requireAdmin, requireInternalCaller, userError } from '@shop/platform';
import { type PageRequest, type RequestBase, readsList, retryConflicts, toConnection } from '@shop/subgraph-runtime';
import { catalogueReads, categoryList, categoryPageReads } from './cache.js';
import { Prisma } from './generated/prisma/client.js';
import type { ProductLoaders } from './loaders.js';
import {
  InsufficientStock,
  PRODUCT_ORDERS,
  type Product,
  type ProductOrder,
  type ProductQuery,
  type ProductRepository,
  SKU,
  type StockChange,
} from './repository.js';
import type { ReservationTransition } from './reservation-states.js';

export interface ProductFilter {
  search?: string | null;
  category?: string | null;
  minPrice?: number | null;
  maxPrice?: number | null;
  inStock?: boolean | null;
  ids?: readonly string[] | null;
}

export interface MoneyInput {
  amount: number;
  currency: string;
}

export interface ProductInput {
  sku?: string | null;
  name?: string | null;
  description?: string | null;
  price?: MoneyInput | null;
  stock?: number | null;
  categoryId?: string | null;
}

const MAX_SEARCH_LENGTH = 200;
/** As many as one page of a list holds. */
const MAX_FILTER_IDS = 100;
/** No product holds more units; well inside the database's and GraphQL's 32-bit integers. */
export const MAX_STOCK = 1_000_000_000;

/** Catalogue rules: validation, authorization, and what each operation means. */
export function createProductService(repository: ProductRepository, loaders: ProductLoaders, request: RequestBase) {
  const { viewer } = request;
  function queryOf(filter: ProductFilter | null | undefined): ProductQuery {
    const search = filter?.search?.trim();
    if (search && search.length > MAX_SEARCH_LENGTH) {
      throw badUserInput(`search is limited to ${MAX_SEARCH_LENGTH} characters`, 'filter.search');
    }
    if (filter?.ids != null && filter.ids.length > MAX_FILTER_IDS) {
      throw badUserInput(`ids takes at most ${MAX_FILTER_IDS} products`, 'filter.ids');
    }
    for (const bound of ['minPrice', 'maxPrice'] as const) {
      const value = filter?.[bound];
      if (value != null && value < 0) throw badUserInput(`${bound} cannot be negative`, `filter.${bound}`);
    }
    return {
      search: search || undefined,
      categorySlug: filter?.category ?? undefined, // an unknown category has no products
      minPrice: filter?.minPrice ?? undefined,
      maxPrice: filter?.maxPrice ?? undefined,
      inStock: filter?.inStock ?? undefined,
      ids: filter?.ids ? [...filter.ids] : undefined,
    };
  }

  return {
    product: async (args: { id?: string | null; sku?: string | null }) => {
      if ((args.id == null) === (args.sku == null)) throw badUserInput('give exactly one of id and sku');
      if (args.id != null) return loaders.productById.load(args.id);
      return loaders.productBySku.load(args.sku ?? '');
    },
    /** A catalogue page: one statement, with the count only when the client selected `totalCount`. */
    products: async (filter: ProductFilter | null | undefined, order: ProductOrder, page: PageRequest) => {
      const query = queryOf(filter);
      const { field } = PRODUCT_ORDERS[order];
      const { products, total } = await repository.listProducts(query, order, {
        after: page.after,
        take: page.first + 1,
        withCount: page.withCount,
      });
      const count = () => (total !== null ? Promise.resolve(total) : repository.countProducts(query));
      for (const product of products)
        if (product.category) loaders.categoryById.prime(product.category.id, product.category);
      const connection = toConnection(products, page, (product) => product[field], count, loaders.productById);
      return readsList(connection, catalogueReads(query, order, products[0]?.categoryId ?? null));
    },
    productsInCategory: async (categoryId: string, page: PageRequest) =>
      readsList(await loaders.productsOfCategory(categoryId, page), categoryPageReads(categoryId)),
    categories: async () => readsList(await repository.listCategories(), [categoryList]),

    createProduct: async (input: ProductInput) => {
      requireAdmin(viewer);
      const data = await validProductInput(input);
      const product = await repository
        .createProduct(data as Prisma.ProductUncheckedCreateInput)
        .catch(explainWriteError);
      return product;
    },
    updateProduct: async (id: string, input: ProductInput) => {
      requireAdmin(viewer);
      await existingProduct(id);
      const product = await repository.updateProduct(id, await validProductInput(input)).catch(explainWriteError);
      return product;
    },
    /**
     * Archives rather than deletes: orders and FAQs may reference the product. It leaves the catalogue and can
     * no longer be ordered, but still resolves by id and SKU with `archivedAt` set. False when already archived.
     */
    deleteProduct: async (id: string) => {
      requireAdmin(viewer);
      await existingProduct(id);
      return repository.archiveProduct(id);
    },
    restockProduct: async (id: string, quantity: number) => {
      requireAdmin(viewer);
      if (!Number.isInteger(quantity) || quantity <= 0)
        throw badUserInput('quantity must be a positive whole number', 'quantity');
      await existingProduct(id);
      const product = await repository.restockProduct(id, quantity, MAX_STOCK);
      if (!product) throw badUserInput(`a product holds at most ${MAX_STOCK} units; restock less`, 'quantity');
      return product;
    },

    /** Internal (orders service): take stock for an order's items, all or none; returns the prices charged. */
    reserveStock: async (orderId: string, items: StockChange[]) => {
      requireInternalCaller(request);
      const wanted = validStockItems(items);
      const reservation = await retryStockTransaction(() => repository.reserveStock(orderId, wanted)).catch(
        async (error: unknown) => {
          if (!(error instanceof InsufficientStock)) throw error;
          throw await shortageError(error.productIds);
        },
      );
      if (reservation.status === 'RELEASED' || reservation.status === 'RETURNED') {
        throw userError('CONFLICT', `the stock reservation for order ${orderId} was given back; place a new order`);
      }
      return reservation.items.map((item) => ({
        productId: item.productId,
        quantity: item.quantity,
        unitPrice: { amount: item.unitPriceAmount, currency: item.currency },
      }));
    },
    /** Internal: release, commit or return an order's reservation; answers its status afterwards. */
    moveReservation: async (orderId: string, transition: Exclude<ReservationTransition, 'reserve'>) => {
      requireInternalCaller(request);
      const status = await retryStockTransaction(() => repository.moveReservation(orderId, transition));
      if (!status) throw userError('NOT_FOUND', `order ${orderId} has no stock reservation`, { orderId });
      return status;
    },
    stockReservation: async (orderId: string) => {
      requireInternalCaller(request);
      return (await repository.findReservation(orderId))?.status ?? null;
    },
  };

  /**
   * OUT_OF_STOCK naming each product and what is left; NOT_FOUND for ids that name no product, and
   * PRODUCT_ARCHIVED for products no longer sold.
   */
  async function shortageError(productIds: string[]) {
    const known = new Map((await repository.findProductsByIds(productIds)).map((product) => [product.id, product]));
    const unknown = productIds.filter((id) => !known.has(id));
    if (unknown.length > 0)
      return userError('NOT_FOUND', `unknown product ${unknown.join(', ')}`, { productIds: unknown });
    const archived = productIds.filter((id) => known.get(id)?.archivedAt);
    if (archived.length > 0) return archivedError(archived.map((id) => known.get(id) as Product));
    const names = productIds.map((id) => `${known.get(id)?.name} (${known.get(id)?.stock} left)`);
    return userError('OUT_OF_STOCK', `not enough stock: ${names.join(', ')}`, { productIds });
  }

  async function existingProduct(id: string): Promise<Product> {
    const product = await loaders.productById.load(id);
    if (!product) throw notFound('product', id);
    return product;
  }

  async function validProductInput(input: ProductInput): Promise<Prisma.ProductUncheckedUpdateInput> {
    const data: Prisma.ProductUncheckedUpdateInput = {};
    for (const field of ['sku', 'name', 'description'] as const) {
      const value = input[field];
      if (value === undefined) continue;
      if (value === null || value.trim() === '') throw badUserInput(`${field} cannot be empty`, field);
      data[field] = value.trim();
    }
    if (typeof data.sku === 'string' && !SKU.test(data.sku)) {
      throw badUserInput('sku must be 2 to 64 upper-case letters, digits or dashes', 'sku');
    }
    if (input.price !== undefined) {
      if (input.price === null) throw badUserInput('price cannot be null', 'price');
      if (!Number.isInteger(input.price.amount) || input.price.amount < 0) {
        throw badUserInput('price.amount must be a whole number of minor units, 0 or more', 'price.amount');
      }
      if (!/^[A-Z]{3}$/.test(input.price.currency))
        throw badUserInput('price.currency must be an ISO 4217 code such as EUR', 'price.currency');
      data.priceAmount = input.price.amount;
      data.priceCurrency = input.price.currency;
    }
    if (input.stock !== undefined) {
      if (input.stock === null || !Number.isInteger(input.stock) || input.stock < 0 || input.stock > MAX_STOCK) {
        throw badUserInput(`stock must be a whole number from 0 to ${MAX_STOCK}`, 'stock');
      }
      data.stock = input.stock;
    }
    if (input.categoryId !== undefined) {
      if (input.categoryId !== null && !(await loaders.categoryById.load(input.categoryId))) {
        throw badUserInput(`category ${input.categoryId} does not exist`, 'categoryId');
      }
      data.categoryId = input.categoryId;
    }
    return data;
  }
}

/** The error for ordering products that are no longer sold, naming them. */
const archivedError = (products: Pick<Product, 'id' | 'name'>[]) =>
  userError('PRODUCT_ARCHIVED', `no longer sold: ${products.map((product) => product.name).join(', ')}`, {
    productIds: products.map((product) => product.id),
  });

/** One entry per product, quantities added up; every quantity positive (ids are checked by the kit). */
function validStockItems(items: StockChange[]): StockChange[] {
  if (items.length === 0) throw badUserInput('give at least one item', 'items');
  const merged = new Map<string, number>();
  for (const item of items) {
    const quantity = (merged.get(item.productId) ?? 0) + item.quantity;
    if (!Number.isInteger(item.quantity) || item.quantity <= 0 || quantity > MAX_STOCK) {
      throw badUserInput(`quantity must be a whole number from 1 to ${MAX_STOCK} per product`, 'items.quantity');
    }
    merged.set(item.productId, quantity);
  }
  return [...merged].map(([productId, quantity]) => ({ productId, quantity }));
}

/**
 * Stock transactions run again when the database rolled them back for a deadlock or a serialization failure,
 * and when two requests for the same order raced to create its reservation row: the loser's transaction rolls
 * back (taking nothing) on the unique key, and running it again finds the winner's row.
 */
const retryStockTransaction = <T>(work: () => Promise<T>) =>
  retryConflicts(work, (error) => error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002');

function explainWriteError(error: unknown): never {
  if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
    throw userError('CONFLICT', 'a product with this SKU already exists', { field: 'sku' });
  }
  throw error;
}

export type ProductService = ReturnType<typeof createProductService>;
