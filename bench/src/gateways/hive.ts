/**
 * Hive Gateway (runtime) with default settings on the bench supergraph, served by Node's HTTP server; the
 * one addition is propagating the caller's Authorization header to the subgraphs.
 */
import { createServer } from 'node:http';
import { createGatewayRuntime } from '@graphql-hive/gateway-runtime';

const gateway = createGatewayRuntime({
  supergraph: process.env.SUPERGRAPH_FILE as string,
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
