import path from 'node:path';
import { baseEnvironment, port, REPOSITORY_ROOT, z } from '@shop/subgraph-kit';

const optionalUrl = z.url().optional();

/** The router's configuration (README: "Configuration"). */
export const environment = baseEnvironment.extend({
  ROUTER_PORT: port(4000),
  /** The composed supergraph the router serves (committed; `npm run compose` writes it). */
  SUPERGRAPH_FILE: z.string().default(path.join(REPOSITORY_ROOT, 'supergraph.graphql')),
  /** Per-subgraph URL overrides for other deployments; default: the routing_url in supergraph.graphql. */
  USERS_URL: optionalUrl,
  PRODUCTS_URL: optionalUrl,
  ORDERS_URL: optionalUrl,
  FAQ_URL: optionalUrl,
  JWT_PUBLIC_KEY: z.string().optional(),
  /** Introspection and the explorer: on by default outside production. */
  INTROSPECTION: z.enum(['true', 'false']).optional(),
});

export type Environment = z.infer<typeof environment>;
