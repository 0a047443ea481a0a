// The gateway must not contact Apollo's cloud (metadata probes at start, usage reporting at stop).
process.env.APOLLO_TELEMETRY_DISABLED ??= '1';

import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  createLogger,
  createTokenVerifier,
  dataRoot,
  listen,
  loadKeyPems,
  parseEnvironment,
  StartupError,
  stopOnSignals,
  urlOf,
} from '@shop/subgraph-kit';
import { environment } from './env.js';
import { createRouter } from './server.js';

try {
  const env = parseEnvironment(environment, process.env);
  const log = createLogger('router', env.LOG_LEVEL);
  const production = env.NODE_ENV === 'production';
  const keys = await loadKeyPems({ ...process.env, keyDir: path.join(dataRoot(process.env), 'keys'), production });
  const supergraphSdl = readSupergraph(env.SUPERGRAPH_FILE);
  const router = await createRouter({
    env,
    log,
    supergraphSdl,
    verifyToken: await createTokenVerifier(keys.publicPem),
  });
  const server = await listen(router.handler, { host: env.HOST, port: env.ROUTER_PORT, portVariable: 'ROUTER_PORT' });
  log.info({ url: urlOf(server, '/') }, 'router ready');
  stopOnSignals(server, log, router.stop, env.SHUTDOWN_DRAIN_MS);
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
