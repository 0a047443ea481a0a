// The gateway must not contact Apollo's cloud (metadata probes at start, usage reporting at stop).
process.env.APOLLO_TELEMETRY_DISABLED ??= '1';

import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  createLogger,
  createServiceTokenVerifier,
  dataRoot,
  listen,
  loadInternalToken,
  loadKeyPems,
  parseEnvironment,
  StartupError,
  stopOnSignals,
  urlOf,
} from '@shop/subgraph-kit';
import { environment } from './env.js';
import { subgraphUrls } from './gateway.js';
import { createRouter } from './server.js';

try {
  const env = parseEnvironment(environment, process.env);
  const log = createLogger('router', env.LOG_LEVEL);
  const production = env.NODE_ENV === 'production';
  const keyDir = path.join(dataRoot(process.env), 'keys');
  const keys = await loadKeyPems({ ...process.env, keyDir, production });
  const supergraphSdl = readSupergraph(env.SUPERGRAPH_FILE);
  const internalToken = loadInternalToken({ ...process.env, keyDir, production });
  const usersUrl = env.USERS_URL ?? subgraphUrls(supergraphSdl, {}).users;
  if (!usersUrl) throw new StartupError('the supergraph has no users subgraph, which closed accounts are asked from');
  const { verifyToken, closedAccounts } = await createServiceTokenVerifier(
    { ...env, USERS_URL: usersUrl },
    keys.publicPem,
    internalToken,
    log,
  );
  const router = await createRouter({ env, log, supergraphSdl, verifyToken });
  const server = await listen(router.handler, { host: env.HOST, port: env.ROUTER_PORT, portVariable: 'ROUTER_PORT' });
  log.info({ url: urlOf(server, '/') }, 'router ready');
  stopOnSignals(
    server,
    log,
    async () => {
      closedAccounts.stop();
      await router.stop();
    },
    env.SHUTDOWN_DRAIN_MS,
  );
} catch (error) {
  console.error(error instanceof StartupError ? `router: ${error.message}` : error);
  process.exit(1);
}

function readSupergraph(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    throw new StartupError(`cannot read the supergraph ${file}; run npm run compose, or set SUPERGRAPH_FILE`);
  }
}
