import { runSubgraph } from '@shop/subgraph-runtime';
import faq from './subgraph.js';

await runSubgraph(faq);
