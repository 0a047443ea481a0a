import { runSubgraph } from '@shop/subgraph-kit';
import faq from './subgraph.js';

await runSubgraph(faq);
