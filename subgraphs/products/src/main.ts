import { runSubgraph } from '@shop/subgraph-kit';
import products from './subgraph.js';

await runSubgraph(products);
