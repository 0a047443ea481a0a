import { baseEnvironment, port, z } from '@shop/subgraph-kit';

/** The orders service's configuration (README: "Configuration"). */
export const environment = baseEnvironment.extend({
  ORDERS_PORT: port(4003),
  JWT_PUBLIC_KEY: z.string().optional(),
  /** The products subgraph, called directly (not through the router) to take and give back stock. */
  PRODUCTS_URL: z.url().default('http://127.0.0.1:4002/graphql'),
});

export type Environment = z.infer<typeof environment>;
