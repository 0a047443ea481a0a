import { runSubgraph } from '@shop/subgraph-runtime';
import orders from './subgraph.js';

await runSubgraph(orders);
