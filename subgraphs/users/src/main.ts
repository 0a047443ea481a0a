import { runSubgraph } from '@shop/subgraph-kit';
import users from './subgraph.js';

await runSubgraph(users);
