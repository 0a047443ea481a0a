import { runSubgraph } from '@shop/subgraph-runtime';
import products from './subgraph.js';

await runSubgraph(products);
