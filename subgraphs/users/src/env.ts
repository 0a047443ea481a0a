import { baseEnvironment, port, z } from '@shop/subgraph-kit';

/** The users service's configuration (README: "Configuration"). */
export const environment = baseEnvironment.extend({
  USERS_PORT: port(4001),
  JWT_PUBLIC_KEY: z.string().optional(),
  JWT_PRIVATE_KEY: z.string().optional(),
  JWT_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(3600),
});

export type Environment = z.infer<typeof environment>;
