import path from 'node:path';
import { createLogger, listen, parseEnvironment, runService, urlOf } from '@shop/platform';
import { environment } from './env.js';
import { createStorefrontServer } from './server.js';

await runService('storefront', async () => {
  const env = parseEnvironment(environment, process.env);
  const log = createLogger('storefront', env.LOG_LEVEL);
  // dist/main.js serves dist/public, which `vite build` wrote beside it.
  const publicDir = path.join(import.meta.dirname, 'public');
  const handler = createStorefrontServer({ publicDir, routerUrl: env.ROUTER_URL, log });
  const server = await listen(handler, { host: env.HOST, port: env.STOREFRONT_PORT, portVariable: 'STOREFRONT_PORT' });
  log.info({ url: urlOf(server, '/'), router: env.ROUTER_URL }, 'storefront ready');
  return { server, log, closeResources: async () => {}, drainMs: env.SHUTDOWN_DRAIN_MS };
});
