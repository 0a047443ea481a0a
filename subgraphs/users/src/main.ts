import { runSubgraph } from '@shop/subgraph-runtime';
import users from './subgraph.js';

await runSubgraph(users);
