import { loadDataset, provisionDatabases } from './databases.js';

const set = await provisionDatabases('data', '/tmp/benchdata', undefined);
await loadDataset(set);
console.log(JSON.stringify(set.env));
