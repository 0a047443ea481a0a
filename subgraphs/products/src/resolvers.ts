import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { DateTime, pageRequest, type RequestBase } from '@shop/subgraph-kit';
import type { ProductLoaders } from './loaders.js';
import type { Category, Product, ProductOrder } from './repository.js';
import type { MoneyInput, ProductFilter, ProductInput, ProductService } from './service.js';

export interface ProductsContext extends RequestBase {
  loaders: ProductLoaders;
  products: ProductService;
}

type PageArgs = { first?: number | null; after?: string | null };

/** Thin: GraphQL shapes in, service calls out. */
export const resolvers: GraphQLResolverMap<ProductsContext> = {
  DateTime,
  Query: {
    product: (_: unknown, args: { id?: string | null; sku?: string | null }, { products }) => products.product(args),
    products: (
      _: unknown,
      args: PageArgs & { filter?: ProductFilter | null; orderBy?: ProductOrder | null },
      { products },
    ) => products.products(args.filter, args.orderBy ?? 'NEWEST', pageRequest(args)),
    categories: (_: unknown, __: unknown, { products }) => products.categories(),
  },
  Mutation: {
    createProduct: (_: unknown, { input }: { input: Required<ProductInput> }, { products }) =>
      products.createProduct(input),
    updateProduct: (_: unknown, { id, input }: { id: string; input: ProductInput }, { products }) =>
      products.updateProduct(id, input),
    deleteProduct: (_: unknown, { id }: { id: string }, { products }) => products.deleteProduct(id),
    restockProduct: (_: unknown, { id, quantity }: { id: string; quantity: number }, { products }) =>
      products.restockProduct(id, quantity),
    reserveStock: (_: unknown, { items }: { items: { productId: string; quantity: number }[] }, { products }) =>
      products.reserveStock(items),
    releaseStock: (_: unknown, { items }: { items: { productId: string; quantity: number }[] }, { products }) =>
      products.releaseStock(items),
  },
  Product: {
    __resolveReference: (reference: { id?: string; sku?: string }, { loaders }: ProductsContext) =>
      reference.id !== undefined
        ? loaders.productById.load(reference.id)
        : loaders.productBySku.load(reference.sku ?? ''),
    price: (product: Product): MoneyInput => ({ amount: product.priceAmount, currency: product.priceCurrency }),
    category: (product: Product, _: unknown, { loaders }) =>
      product.categoryId ? loaders.categoryById.load(product.categoryId) : null,
  },
  Category: {
    products: (category: Category, args: PageArgs, { products }) =>
      products.productsInCategory(category.id, pageRequest(args)),
  },
};
