/**
 * `npm start`: every subgraph (discovered by its manifest), the router and the storefront, compiled (`npm run build`),
 * each on its port with its own embedded database (migrated, and seeded when new) unless <NAME>_DATABASE_URL says
 * otherwise. In development they share one Node process (scripts/one-process.ts: one set of libraries loaded, ready
 * in seconds); with NODE_ENV=production each runs as a process of its own, as deployed. Prints progress from the
 * first second, each service's readiness and the explorer URL; Ctrl-C (or SIGTERM) stops them all.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { buildChanged } from './build.js';
import { REPOSITORY_ROOT, subgraphNames } from './subgraphs.js';

// Light on purpose: nothing here loads a service's code (that is the services' own start), so the first progress
// line comes within a second.
interface Service {
  name: string;
  entry: string;
  port: number | null;
}

/** `USERS_PORT` etc.: a port the caller moved the service to, or null (its default). */
const portOf = (variable: string) => (process.env[variable] ? Number(process.env[variable]) : null);
const subgraphs: Service[] = subgraphNames().map((name) => ({
  name,
  entry: `subgraphs/${name}/dist/main.js`,
  port: portOf(`${name.toUpperCase()}_PORT`),
}));
const router: Service = { name: 'router', entry: 'router/dist/main.js', port: portOf('ROUTER_PORT') ?? 4000 };
const storefront: Service = {
  name: 'storefront',
  entry: 'storefront/dist/main.js',
  port: portOf('STOREFRONT_PORT') ?? 3000,
};

const graphqlUrl = (port: number) => `http://127.0.0.1:${port}/graphql`;
// Every service sees every moved port, so the router and orders find the subgraphs wherever they were moved.
const env: NodeJS.ProcessEnv = {
  ...process.env,
  APOLLO_TELEMETRY_DISABLED: '1',
  ROUTER_URL: graphqlUrl(router.port as number),
  ...Object.fromEntries(
    subgraphs.flatMap(({ name, port }) => (port === null ? [] : [[`${name.toUpperCase()}_URL`, graphqlUrl(port)]])),
  ),
};
/** The subgraphs' URLs as they announce them when ready. */
const subgraphUrls = new Map<string, string>();

/** Development: every service in one Node process; production: one process per service, as deployed. */
const oneProcess = process.env.NODE_ENV !== 'production';
const ONE_PROCESS = 'scripts/dist/one-process.js';
const children = new Map<string, ChildProcess>();
let stopping = false;
const started = performance.now();

/** Runs compiled mains as one child process named `name` (one service, or all of them in development). */
function run(name: string, entries: string[]): ChildProcess {
  const [first, ...rest] = entries.map((entry) => path.join(REPOSITORY_ROOT, entry));
  const args =
    rest.length === 0 ? [first as string] : [path.join(REPOSITORY_ROOT, ONE_PROCESS), first as string, ...rest];
  const child = spawn(process.execPath, ['--enable-source-maps', ...args], {
    cwd: REPOSITORY_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.set(name, child);
  const print = (line: string) => {
    const text = readable(line, name);
    if (text !== null) console.log(text);
  };
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', print);
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', print);
  child.on('exit', (code, signal) => {
    children.delete(name);
    if (!stopping) {
      console.error(`${prefix(name)} exited (${signal ?? `code ${code}`}); stopping the others`);
      stopAll(1);
    } else if (children.size === 0) {
      process.exit(process.exitCode ?? 0);
    }
  });
  return child;
}

/** `[  2.1 s products]`: the time since `npm start` began, and who speaks. */
const prefix = (who: string) =>
  `[${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s ${who.padEnd(10)}]`;

/**
 * Pino's JSON lines, shortened to "level message (url)" for people; anything else as it is. Per-request
 * lines stay in the services' logs (LOG_LEVEL) but are left out here unless they are warnings or errors.
 */
function readable(line: string, processName: string): string | null {
  try {
    const entry = JSON.parse(line) as {
      level: number;
      msg: string;
      service?: string;
      url?: string;
      err?: { message: string };
      requestId?: string;
    };
    if (entry.requestId && entry.level < 40) return null;
    if (entry.service && entry.url && entry.msg.endsWith('subgraph ready')) subgraphUrls.set(entry.service, entry.url);
    const level = entry.level >= 50 ? 'ERROR ' : entry.level >= 40 ? 'WARN ' : '';
    const text = `${level}${entry.msg}${entry.url ? ` ${entry.url}` : ''}${entry.err ? `: ${entry.err.message}` : ''}`;
    return `${prefix(entry.service ?? processName)} ${text}`;
  } catch {
    return `${prefix(processName)} ${line}`;
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

if (!oneProcess) {
  // One development key pair and internal token for all the processes, made before they start (in development the
  // one process makes them before its services start).
  const { dataRoot, loadInternalToken, loadKeyPems } = await import('@shop/platform');
  const keySettings = { ...process.env, keyDir: path.join(dataRoot(process.env), 'keys'), production: true };
  await loadKeyPems(keySettings);
  loadInternalToken(keySettings);
}
console.log(`${prefix('start')} compiling what changed since the last start …`);
// Compiled first (esbuild and Vite, each skipped when unchanged): plain node starts a service in a fraction of tsx's time.
await buildChanged();
const services = [...subgraphs, router, storefront];
if (oneProcess) {
  console.log(`${prefix('start')} starting ${services.map((service) => service.name).join(', ')} in one process …`);
  run(
    'shop',
    services.map((service) => service.entry),
  );
} else {
  console.log(`${prefix('start')} starting ${services.map((service) => service.name).join(', ')} …`);
  for (const service of services) run(service.name, [service.entry]);
}
await Promise.all([waitUntilReady(router, '/health/subgraphs'), waitUntilReady(storefront, '/health')]);
if (!stopping) {
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`\nShop Supergraph is up in ${seconds} s.`);
  console.log(`  Storefront: http://localhost:${storefront.port}/`);
  console.log(`  Explorer and GraphQL endpoint: http://localhost:${router.port}/`);
  console.log(`  Subgraphs: ${[...subgraphUrls].map(([name, url]) => `${name} ${url}`).join(', ')}`);
  console.log('  Press Ctrl-C to stop.\n');
}
