import { groupedPagesLoader, rowLoader } from '@shop/subgraph-runtime';
import { type ProductRepository, SKU } from './repository.js';

/** Per-request loaders: every product or category asked for in one tick is fetched in one query. */
export function createProductLoaders(repository: ProductRepository) {
  return {
    productById: rowLoader(repository.findProductsByIds, (product) => product.id),
    productBySku: rowLoader(
      repository.findProductsBySkus,
      (product) => product.sku,
      (sku) => SKU.test(sku),
    ),
    categoryById: rowLoader(repository.findCategoriesByIds, (category) => category.id),
    productsOfCategory: groupedPagesLoader({
      sortValue: (product) => product.name,
      pages: repository.productPagesByCategory,
      countByKeys: repository.countProductsByCategory,
    }),
  };
}

export type ProductLoaders = ReturnType<typeof createProductLoaders>;
