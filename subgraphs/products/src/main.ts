import { runSubgraph } from '@shop/subgraph-kit';
import { productsDatabase } from './database.js';
import { environment } from './env.js';
import { createProductsSubgraph } from './server.js';

await runSubgraph({
  database: productsDatabase,
  environment,
  portVariable: 'PRODUCTS_PORT',
  build: createProductsSubgraph,
});
