// The gateway must not contact Apollo's cloud (metadata probes at start, usage reporting at stop).
process.env.APOLLO_TELEMETRY_DISABLED ??= '1';

import path from 'node:path';
import {
  createLogger,
  createServiceTokenVerifier,
  createTokenVerifier,
  dataRoot,
  listen,
  loadInternalToken,
  loadKeyPems,
  parseEnvironment,
  runService,
  type ServedService,
  startTracing,
  urlOf,
} from '@shop/platform';
import { collectDefaultMetrics } from 'prom-client';
import { environment, subgraphUrlOverrides } from './env.js';
import { subgraphUrls } from './gateway.js';
import { createRouter } from './server.js';
import { readSupergraph, watchSupergraph } from './supergraph-file.js';

/** The router from the environment, on its port (and its metrics on theirs). */
async function serveRouter(): Promise<ServedService> {
  const env = parseEnvironment(environment, process.env);
  const { shared } = env;
  const log = createLogger('router', shared.LOG_LEVEL);
  // First, so Apollo Gateway's spans (plan, fetch) find the provider.
  const tracing = startTracing('router');
  const production = shared.NODE_ENV === 'production';
  const keyDir = path.join(dataRoot(shared), 'keys');
  const keys = await loadKeyPems({ ...shared, keyDir, production });
  const supergraphSdl = readSupergraph(env.supergraphFile);
  const routingUrls = subgraphUrls(supergraphSdl, {});
  const urlOverrides = subgraphUrlOverrides(Object.keys(routingUrls), process.env);
  const internalToken = loadInternalToken({ ...shared, keyDir, production });
  // Closed accounts are asked from the users subgraph; a supergraph without one has none to refuse.
  const usersUrl = urlOverrides.users ?? routingUrls.users;
  const { verifyToken, closedAccounts } = usersUrl
    ? await createServiceTokenVerifier({ ...shared, USERS_URL: usersUrl }, keys.publicPem, internalToken, log)
    : { verifyToken: await createTokenVerifier(keys.publicPem), closedAccounts: null };
  const router = await createRouter({ env, urlOverrides, log, supergraphSdl, verifyToken, internalToken });
  const server = await listen(router.handler, { ...env.http, portVariable: 'ROUTER_PORT' });
  server.on('upgrade', router.upgrade);
  // A new supergraph without a restart: the file changed, or SIGHUP (README: "Router features").
  const stopWatching = env.watchSupergraph
    ? watchSupergraph(env.supergraphFile, router.reload, (reason) =>
        log.error({ file: env.supergraphFile, reason }, 'supergraph unreadable; serving the previous one'),
      )
    : () => undefined;
  collectDefaultMetrics({ register: router.metrics.registry });
  const metricsServer = await listen(router.metrics.handler, { ...env.metrics, portVariable: 'ROUTER_METRICS_PORT' });
  log.info({ url: urlOf(server, '/'), metrics: urlOf(metricsServer, '/metrics') }, 'router ready');
  return {
    server,
    log,
    drainMs: shared.SHUTDOWN_DRAIN_MS,
    endStreams: router.endStreams,
    closeResources: async () => {
      stopWatching();
      closedAccounts?.stop();
      metricsServer.close();
      await router.stop();
      await tracing?.shutdown(); // sends the last spans
    },
  };
}

await runService('router', serveRouter);
