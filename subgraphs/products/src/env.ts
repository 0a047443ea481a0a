import { baseEnvironment, port, z } from '@shop/subgraph-kit';

/** The products service's configuration (README: "Configuration"). */
export const environment = baseEnvironment.extend({
  PRODUCTS_PORT: port(4002),
  JWT_PUBLIC_KEY: z.string().optional(),
});

export type Environment = z.infer<typeof environment>;
