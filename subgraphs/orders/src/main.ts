import { runSubgraph } from '@shop/subgraph-kit';
import orders from './subgraph.js';

await runSubgraph(orders);
