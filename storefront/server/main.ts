import path from 'node:path';
import {
  baseEnvironment,
  createLogger,
  listen,
  parseEnvironment,
  port,
  StartupError,
  stopOnSignals,
  urlOf,
  z,
} from '@shop/platform';
import { createStorefrontServer } from './server.js';

const environment = baseEnvironment.omit({ USERS_URL: true }).extend({
  STOREFRONT_PORT: port(3000),
  /** Where the app's /graphql requests go. */
  ROUTER_URL: z.url().default('http://127.0.0.1:4000/graphql'),
});

try {
  const env = parseEnvironment(environment, process.env);
  const log = createLogger('storefront', env.LOG_LEVEL);
  // dist/main.js serves dist/public, which `vite build` wrote beside it.
  const publicDir = path.join(import.meta.dirname, 'public');
  const handler = createStorefrontServer({ publicDir, routerUrl: env.ROUTER_URL, log });
  const server = await listen(handler, { host: env.HOST, port: env.STOREFRONT_PORT, portVariable: 'STOREFRONT_PORT' });
  log.info({ url: urlOf(server, '/'), router: env.ROUTER_URL }, 'storefront ready');
  stopOnSignals(server, log, async () => {}, env.SHUTDOWN_DRAIN_MS);
} catch (error) {
  console.error(error instanceof StartupError ? `storefront: ${error.message}` : error);
  process.exit(1);
}
