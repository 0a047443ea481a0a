Object.defineProperty(exports, '__esModule', { value: true });
exports.environment = void 0;
var node_path_1 = require('node:path');
var subgraph_kit_1 = require('@shop/subgraph-kit');
var optionalUrl = subgraph_kit_1.z.url().optional();
/** The router's configuration (README: "Configuration"). */
exports.environment = subgraph_kit_1.baseEnvironment.extend({
  ROUTER_PORT: (0, subgraph_kit_1.port)(4000),
  /** The composed supergraph the router serves (committed; `npm run compose` writes it). */
  SUPERGRAPH_FILE: subgraph_kit_1.z
    .string()
    .default(node_path_1.default.join(subgraph_kit_1.REPOSITORY_ROOT, 'supergraph.graphql')),
  /** Per-subgraph URL overrides for other deployments; default: the routing_url in supergraph.graphql. */
  USERS_URL: optionalUrl,
  PRODUCTS_URL: optionalUrl,
  ORDERS_URL: optionalUrl,
  FAQ_URL: optionalUrl,
  JWT_PUBLIC_KEY: subgraph_kit_1.z.string().optional(),
  /** Introspection and the explorer: on by default outside production. */
  INTROSPECTION: subgraph_kit_1.z.enum(['true', 'false']).optional(),
});
