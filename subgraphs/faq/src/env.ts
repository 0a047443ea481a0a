import { baseEnvironment, port, z } from '@shop/subgraph-kit';

/** The FAQ service's configuration (README: "Configuration"). */
export const environment = baseEnvironment.extend({
  FAQ_PORT: port(4004),
  JWT_PUBLIC_KEY: z.string().optional(),
});

export type Environment = z.infer<typeof environment>;
