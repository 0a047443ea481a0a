import { DateTime } from '@shop/subgraph-runtime';
import type { Resolvers } from './schema.generated.js';

/** Thin: GraphQL shapes in, service calls out. Typed by the code generated from schema.graphql. */
export const resolvers: Resolvers = {
  DateTime,
  Query: {
    product: (_, args, { products }) => products.product(args),
    products: (_, args, { products, pageRequest }) => {
      const order = args.orderBy ?? 'NEWEST';
      return products.products(args.filter, order, pageRequest(args, `products:${order}`));
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
    category: (product, _, { loaders }) => (product.categoryId ? loaders.categoryById.load(product.categoryId) : null),
  },
  Category: {
    products: (category, args, { products, pageRequest }) =>
      products.productsInCategory(category.id, pageRequest(args, 'category.products')),
  },
};
