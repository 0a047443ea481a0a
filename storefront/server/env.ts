import { baseEnvironment, port, z } from '@shop/platform';

/** The storefront server's variables (README: "Configuration"). */
export const environment = baseEnvironment.omit({ USERS_URL: true }).extend({
  STOREFRONT_PORT: port(3000),
  /** Where the app's /graphql requests go. */
  ROUTER_URL: z.url().default('http://127.0.0.1:4000/graphql'),
});
