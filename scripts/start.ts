/**
 * `npm start`: every subgraph (discovered by its manifest), the router and the storefront, compiled (`npm run build`),
 * as separate processes on their ports,
 * each with its own embedded database (migrated, and seeded when new) unless <NAME>_DATABASE_URL says otherwise.
 * Prints each service's readiness and the explorer URL; Ctrl-C (or SIGTERM) stops them all.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { dataRoot, loadInternalToken, loadKeyPems, variablesOf } from '@shop/platform';
import { buildServices, buildStorefront } from './build.js';
import { loadSubgraphs, REPOSITORY_ROOT } from './subgraphs.js';

interface Service {
  name: string;
  entry: string;
  portVariable: string;
  port: number;
}

const portOf = (variable: string, fallback: number) => Number(process.env[variable] ?? fallback);
const subgraphs: Service[] = (await loadSubgraphs()).map((manifest) => {
  const { port } = variablesOf(manifest.name);
  return {
    name: manifest.name,
    entry: `subgraphs/${manifest.name}/dist/main.js`,
    portVariable: port,
    port: portOf(port, manifest.port),
  };
});
const router: Service = {
  name: 'router',
  entry: 'router/dist/main.js',
  portVariable: 'ROUTER_PORT',
  port: portOf('ROUTER_PORT', 4000),
};
const storefront: Service = {
  name: 'storefront',
  entry: 'storefront/dist/main.js',
  portVariable: 'STOREFRONT_PORT',
  port: portOf('STOREFRONT_PORT', 3000),
};

const graphqlUrl = (service: Service) => `http://127.0.0.1:${service.port}/graphql`;
// Every process sees every port, so the router and orders find the subgraphs wherever they were moved.
const env: NodeJS.ProcessEnv = {
  ...process.env,
  APOLLO_TELEMETRY_DISABLED: '1',
  ROUTER_URL: graphqlUrl(router),
  ...Object.fromEntries(subgraphs.map((service) => [variablesOf(service.name).url, graphqlUrl(service)])),
};

const children = new Map<string, ChildProcess>();
let stopping = false;
const started = performance.now();

function run(service: Service): ChildProcess {
  const child = spawn(process.execPath, ['--enable-source-maps', path.join(REPOSITORY_ROOT, service.entry)], {
    cwd: REPOSITORY_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.set(service.name, child);
  const print = (line: string) => {
    const text = readable(line);
    if (text !== null) console.log(`[${service.name.padEnd(8)}] ${text}`);
  };
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', print);
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', print);
  child.on('exit', (code, signal) => {
    children.delete(service.name);
    if (!stopping) {
      console.error(`[${service.name.padEnd(8)}] exited (${signal ?? `code ${code}`}); stopping the others`);
      stopAll(1);
    } else if (children.size === 0) {
      process.exit(process.exitCode ?? 0);
    }
  });
  return child;
}

/**
 * Pino's JSON lines, shortened to "level message (url)" for people; anything else as it is. Per-request
 * lines stay in the services' logs (LOG_LEVEL) but are left out here unless they are warnings or errors.
 */
function readable(line: string): string | null {
  try {
    const entry = JSON.parse(line) as {
      level: number;
      msg: string;
      url?: string;
      err?: { message: string };
      requestId?: string;
    };
    if (entry.requestId && entry.level < 40) return null;
    const level = entry.level >= 50 ? 'ERROR ' : entry.level >= 40 ? 'WARN ' : '';
    return `${level}${entry.msg}${entry.url ? ` ${entry.url}` : ''}${entry.err ? `: ${entry.err.message}` : ''}`;
  } catch {
    return line;
  }
}

function stopAll(exitCode: number): void {
  if (stopping) return;
  stopping = true;
  process.exitCode = exitCode;
  if (children.size === 0) process.exit(exitCode);
  for (const child of children.values()) child.kill('SIGTERM');
  // A process that ignores SIGTERM is killed, so no orphan outlives `npm start`.
  setTimeout(() => {
    for (const child of children.values()) child.kill('SIGKILL');
    process.exit(exitCode);
  }, 15_000).unref();
}

async function waitUntilReady(service: Service, path = '/ready'): Promise<void> {
  for (;;) {
    if (stopping) return;
    const ok = await fetch(`http://127.0.0.1:${service.port}${path}`, { signal: AbortSignal.timeout(1000) })
      .then((response) => response.ok)
      .catch(() => false);
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));

// One development key pair and internal token for all services, made before they start.
const keySettings = {
  ...process.env,
  keyDir: path.join(dataRoot(process.env), 'keys'),
  production: process.env.NODE_ENV === 'production',
};
await loadKeyPems(keySettings);
loadInternalToken(keySettings);
// Compiled first (esbuild and Vite, ~3 s): plain node starts a service in a fraction of tsx's time.
await Promise.all([buildServices(), buildStorefront()]);
// All at once: the router needs no subgraph to start; the shop is up when the router sees every subgraph answer.
console.log(`Starting ${subgraphs.map((service) => service.name).join(', ')}, the router and the storefront …`);
for (const service of [...subgraphs, router, storefront]) run(service);
await Promise.all([waitUntilReady(router, '/health/subgraphs'), waitUntilReady(storefront, '/health')]);
if (!stopping) {
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`\nShop Supergraph is up in ${seconds} s.`);
  console.log(`  Storefront: http://localhost:${storefront.port}/`);
  console.log(`  Explorer and GraphQL endpoint: http://localhost:${router.port}/`);
  console.log(`  Subgraphs: ${subgraphs.map((service) => `${service.name} ${graphqlUrl(service)}`).join(', ')}`);
  console.log('  Press Ctrl-C to stop.\n');
}
