import { runSubgraph } from '@shop/subgraph-kit';
import { usersDatabase } from './database.js';
import { environment } from './env.js';
import { createUsersSubgraph } from './server.js';

await runSubgraph({ database: usersDatabase, environment, portVariable: 'USERS_PORT', build: createUsersSubgraph });
