import { runSubgraph } from '@shop/subgraph-kit';
import { faqDatabase } from './database.js';
import { environment } from './env.js';
import { createFaqSubgraph } from './server.js';

await runSubgraph({ database: faqDatabase, environment, portVariable: 'FAQ_PORT', build: createFaqSubgraph });
