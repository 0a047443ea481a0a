import { baseEnvironment, port, z } from '@shop/subgraph-kit';

/** The orders service's configuration (README: "Configuration"). */
export const environment = baseEnvironment.extend({
  ORDERS_PORT: port(4003),
  JWT_PUBLIC_KEY: z.string().optional(),
  /** The products subgraph, called directly (not through the router) to take and give back stock. */
  PRODUCTS_URL: z.url().default('http://127.0.0.1:4002/graphql'),
  /** A PENDING order untouched this long is settled by the recovery sweep (finished or cancelled). */
  ORDER_PENDING_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  /** How often the recovery sweep runs (it also runs once at start). */
  ORDER_RECOVERY_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
});

export type Environment = z.infer<typeof environment>;
