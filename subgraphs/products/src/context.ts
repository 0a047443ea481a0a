import type { Connection, RequestBase } from '@shop/subgraph-runtime';
import type { ProductLoaders } from './loaders.js';
import type { Product } from './repository.js';
import type { ProductService } from './service.js';

/** What every products resolver receives. */
export interface ProductsContext extends RequestBase {
  loaders: ProductLoaders;
  products: ProductService;
}

export type ProductConnectionRow = Connection<Product>;
