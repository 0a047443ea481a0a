/**
 * Hive Gateway (runtime) with default settings on the bench supergraph, served by Node's HTTP server; the
 * one addition is propagating the caller's Authorization header to the subgraphs. With
 * BENCH_HIVE_ROUTER_RUNTIME=true it plans with `@graphql-hive/router-runtime` (Hive Router's Rust planner).
 */
import { createServer } from 'node:http';
import { createGatewayRuntime } from '@graphql-hive/gateway-runtime';
import { unifiedGraphHandler } from '@graphql-hive/router-runtime';

const gateway = createGatewayRuntime({
  supergraph: process.env.SUPERGRAPH_FILE as string,
  // BENCH_HIVE_ROUTER_RUNTIME: Hive Router's Rust query planner (native addon) instead of the JavaScript one.
  ...(process.env.BENCH_HIVE_ROUTER_RUNTIME === 'true' ? { unifiedGraphHandler } : {}),
  propagateHeaders: {
    fromClientToSubgraphs: ({ request }) => ({ authorization: request.headers.get('authorization') }),
  },
});
const server = createServer(gateway);
server.listen(Number(process.env.PORT), '127.0.0.1', () => {
  console.log(`Hive Gateway at http://127.0.0.1:${process.env.PORT}/graphql`);
});
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
