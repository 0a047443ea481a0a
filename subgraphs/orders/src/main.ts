import { runSubgraph } from '@shop/subgraph-kit';
import { ordersDatabase } from './database.js';
import { environment } from './env.js';
import { createOrdersSubgraph } from './server.js';

await runSubgraph({ database: ordersDatabase, environment, portVariable: 'ORDERS_PORT', build: createOrdersSubgraph });
