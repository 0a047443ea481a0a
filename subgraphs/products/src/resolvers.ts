import { DateTime, readKey } from '@shop/subgraph-runtime';
import { skuLookup } from './cache.js';
import type { Resolvers } from './schema.generated.js';

/** Thin: GraphQL shapes in, service calls out. Typed by the code generated from schema.graphql. */
export const resolvers: Resolvers = {
  DateTime,
  Query: {
    product: (_, args, context, info) => {
      // A SKU nobody has yet may be given to a product later: the lookup reads that SKU.
      if (args.sku != null) readKey(context, info, skuLookup(args.sku));
      return context.products.product(args);
    },
    products: (_, args, { products, pageRequest }, info) => {
      const order = args.orderBy ?? 'NEWEST';
      return products.products(args.filter, order, pageRequest(args, `products:${order}`, info));
    },
    categories: (_, __, { products }) => products.categories(),
    stockReservation: (_, { orderId }, { products }) => products.stockReservation(orderId),
  },
  Mutation: {
    createProduct: (_, { input }, { products }) => products.createProduct(input),
    updateProduct: (_, { id, input }, { products }) => products.updateProduct(id, input),
    deleteProduct: (_, { id }, { products }) => products.deleteProduct(id),
    restockProduct: (_, { id, quantity }, { products }) => products.restockProduct(id, quantity),
    reserveStock: (_, { orderId, items }, { products }) => products.reserveStock(orderId, items),
    releaseStock: (_, { orderId }, { products }) => products.moveReservation(orderId, 'release'),
    commitStock: (_, { orderId }, { products }) => products.moveReservation(orderId, 'commit'),
    returnStock: (_, { orderId }, { products }) => products.moveReservation(orderId, 'return'),
  },
  Product: {
    __resolveReference: (reference, { loaders }) =>
      'id' in reference ? loaders.productById.load(reference.id) : loaders.productBySku.load(reference.sku),
    price: (product) => ({ amount: product.priceAmount, currency: product.priceCurrency }),
    // The hot reads join the category; rows from writes load it (one query per tick).
    category: (product, _, { loaders }) =>
      product.category !== undefined
        ? product.category
        : product.categoryId
          ? loaders.categoryById.load(product.categoryId)
          : null,
  },
  Category: {
    products: (category, args, { products, pageRequest }, info) =>
      products.productsInCategory(category.id, pageRequest(args, 'category.products', info)),
  },
};
