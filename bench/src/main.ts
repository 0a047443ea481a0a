/**
 * `npm run bench`: one run, one machine, side by side. Loads a larger deterministic data set, starts the four
 * subgraphs once, then puts each headline query through our router, a stock Apollo Gateway, Hive Gateway and
 * the floor (the plan's subgraph fetches without a gateway), and writes bench/results/latest.{json,md}.
 * Exits 1 if any request failed or any answer was wrong. Settings: bench/README.md.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { variablesOf, z } from '@shop/platform';
import { REPOSITORY_ROOT } from '../../scripts/subgraphs.js';
import { type DatabaseSet, loadDataset, provisionDatabases, SERVICES } from './databases.js';
import { BENCH_PASSWORD, benchEmail, productId, SIZES } from './dataset.js';
import { type LoadResult, requestFor, round, roundRobinLatencies, runLoad, send } from './load.js';
import {
  answersGraphQL,
  answersOk,
  type CorePlan,
  pinSelf,
  planCores,
  type ServerProcess,
  startServer,
  waitFor,
} from './processes.js';
import { summariseProfile } from './profile.js';
import { type BenchQuery, Q4_PRODUCT_ID, queries } from './queries.js';
import {
  type BenchReport,
  type QueryReport,
  renderMarkdown,
  TARGETS,
  type Target,
  type TargetResult,
} from './report.js';

const settings = z
  .object({
    BENCH_DATABASE_URL: z.string().startsWith('postgres').optional(),
    BENCH_CONNECTIONS: z.coerce.number().int().min(1).default(8),
    BENCH_DURATION_S: z.coerce.number().int().min(1).default(10),
    BENCH_WARMUP_S: z.coerce.number().int().min(0).default(3),
    BENCH_SUBGRAPH_WARMUP_S: z.coerce.number().int().min(0).default(5),
    BENCH_TARGETS: z.string().default(TARGETS.join(',')),
    BENCH_QUERIES: z.string().default(queries.map((query) => query.name).join(',')),
    /** A query name (e.g. Q3): profile our router on it with --cpu-prof instead of the comparison. */
    BENCH_PROFILE: z.enum(['Q1', 'Q2', 'Q3', 'Q4']).optional(),
    /** Results go to bench/results/<BENCH_OUTPUT>.json and .md. */
    BENCH_OUTPUT: z
      .string()
      .regex(/^[\w-]+$/)
      .default('latest'),
  })
  .parse(process.env);

const RESULTS_DIR = path.join(REPOSITORY_ROOT, 'bench', 'results');
const LOG_DIR = path.join(RESULTS_DIR, 'logs');
const SQL_SAMPLE = 10;
const UNLOADED_ROUNDS = 100;
/** Each subgraph on a port of the benchmark's own: 4501, 4502, … in name order. */
const PORTS: Record<string, number> = Object.fromEntries(SERVICES.map((service, index) => [service, 4501 + index]));
const TARGET_PORTS: Record<Target, number> = { ours: 4510, ours_unshared: 4514, stock: 4511, hive: 4512, floor: 4513 };
const TARGET_PATHS: Record<Target, string> = {
  ours: '/graphql',
  ours_unshared: '/graphql',
  stock: '/',
  hive: '/graphql',
  floor: '/graphql',
};

const say = (message: string) => console.log(`[bench] ${message}`);
const subgraphUrl = (service: string) => `http://127.0.0.1:${PORTS[service]}/graphql`;

const cores = planCores();
pinSelf(cores);
rmSync(LOG_DIR, { recursive: true, force: true });
mkdirSync(LOG_DIR, { recursive: true });
const workDir = mkdtempSync(path.join(tmpdir(), 'shop-bench-'));
const running: ServerProcess[] = [];
const cleanups: (() => Promise<void>)[] = [];
let exitCode = 0;
let benchSubgraphs: ServerProcess[] = [];

const baseEnv: NodeJS.ProcessEnv = {
  ...process.env,
  NODE_ENV: 'development',
  DATA_DIR: workDir, // development keys and internal token for this run only
  APOLLO_TELEMETRY_DISABLED: '1',
  // The orders service's recovery sweep runs SQL on its own every 30 s; over a run those statements would be
  // counted as the queries' (nothing is left PENDING here, so there is nothing for it to do).
  ORDER_RECOVERY_INTERVAL_SECONDS: '3600',
  ...Object.fromEntries(SERVICES.map((service) => [variablesOf(service).port, String(PORTS[service])])),
  ...Object.fromEntries(SERVICES.map((service) => [variablesOf(service).url, subgraphUrl(service)])),
};

/**
 * Servers are pinned away from the load generator, except for the cold start, which runs as `npm start`
 * does: on every core (given explicitly, since children inherit this process's pinning).
 */
const UNPINNED: CorePlan = { ...cores, serverCores: `0-${cpus().length - 1}` }; // not availableParallelism(): pinned to 1 now

function start(name: string, entry: string, env: NodeJS.ProcessEnv, nodeOptions?: string[], plan = cores) {
  const server = startServer({ name, entry, env, plan, logDir: LOG_DIR, nodeOptions });
  running.push(server);
  return server;
}

async function stop(servers: ServerProcess[]): Promise<void> {
  await Promise.all(servers.map((server) => server.stop()));
  for (const server of servers) running.splice(running.indexOf(server), 1);
}

async function startSubgraphs(databases: DatabaseSet, label: string, plan = cores): Promise<ServerProcess[]> {
  const env = { ...baseEnv, ...databases.env };
  const servers = SERVICES.map((service) =>
    start(`${label}-${service}`, `subgraphs/${service}/src/main.ts`, env, [], plan),
  );
  await Promise.all(
    servers.map((server, index) =>
      waitFor(server, answersOk(`http://127.0.0.1:${PORTS[SERVICES[index] as string]}/ready`)),
    ),
  );
  return servers;
}

/** The committed supergraph with its routing URLs moved to the benchmark's ports. */
function writeBenchSupergraph(): string {
  let sdl = readFileSync(path.join(REPOSITORY_ROOT, 'supergraph.graphql'), 'utf8');
  for (const service of SERVICES) {
    sdl = sdl.replace(
      new RegExp(`(@join__graph\\(name: "${service}", url: ")[^"]+`),
      (_match, prefix: string) => `${prefix}${subgraphUrl(service)}`,
    );
  }
  const file = path.join(workDir, 'supergraph.graphql');
  writeFileSync(file, sdl);
  return file;
}

function startTarget(target: Target, supergraphFile: string, nodeOptions?: string[], plan = cores): ServerProcess {
  const port = String(TARGET_PORTS[target]);
  const env: NodeJS.ProcessEnv = { ...baseEnv, SUPERGRAPH_FILE: supergraphFile, PORT: port, ROUTER_PORT: port };
  if (target === 'ours_unshared') env.SUBGRAPH_DEDUPLICATION = 'false';
  const ours = target === 'ours' || target === 'ours_unshared';
  const entry = ours ? 'router/src/main.ts' : `bench/src/gateways/${target}.ts`;
  return start(target, entry, env, nodeOptions, plan);
}

async function targetReady(target: Target, server: ServerProcess): Promise<void> {
  const base = `http://127.0.0.1:${TARGET_PORTS[target]}`;
  if (target === 'ours' || target === 'ours_unshared') return waitFor(server, answersOk(`${base}/ready`));
  if (target === 'floor') return waitFor(server, async () => (await fetch(base)).status > 0);
  return waitFor(server, answersGraphQL(`${base}${TARGET_PATHS[target]}`));
}

/** Total SQL statements each subgraph has sent, from its /metrics. */
async function sqlStatements(): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const service of SERVICES) {
    const text = await (await fetch(`http://127.0.0.1:${PORTS[service]}/metrics`)).text();
    counts[service] = Number(/^sql_statements_total\{[^}]*\} (\d+)/m.exec(text)?.[1] ?? 0);
  }
  return counts;
}

/** SQL statements per request: `SQL_SAMPLE` requests one after another, counted at the subgraphs. */
async function sqlPerRequest(url: string, query: BenchQuery, token: string | undefined, variables?: object) {
  const before = await sqlStatements();
  for (let i = 0; i < SQL_SAMPLE; i++) await send(requestFor(url, query, token, variables as never));
  const after = await sqlStatements();
  const byService = Object.fromEntries(
    SERVICES.map((service) => [service, round(((after[service] ?? 0) - (before[service] ?? 0)) / SQL_SAMPLE, 2)]),
  );
  return {
    total: round(
      Object.values(byService).reduce((sum, count) => sum + count, 0),
      2,
    ),
    byService,
  };
}

async function logIn(index: number): Promise<string> {
  const response = await fetch(subgraphUrl('users'), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: 'mutation ($email: String!, $password: String!) { logIn(email: $email, password: $password) { token } }',
      variables: { email: benchEmail(index), password: BENCH_PASSWORD },
    }),
  });
  const body = (await response.json()) as { data?: { logIn: { token: string } } };
  if (!body.data) throw new Error(`cannot log in as ${benchEmail(index)}: ${JSON.stringify(body)}`);
  return body.data.logIn.token;
}

/** Cold start: the whole supergraph (4 subgraphs + router) on new, empty databases until the router is ready. */
async function measureColdStart(supergraphFile: string): Promise<number> {
  const databases = await provisionDatabases('cold', workDir, settings.BENCH_DATABASE_URL);
  const started = performance.now();
  const subgraphs = await startSubgraphs(databases, 'cold', UNPINNED);
  const router = startTarget('ours', supergraphFile, [], UNPINNED);
  await targetReady('ours', router);
  const seconds = round((performance.now() - started) / 1000, 1);
  await stop([...subgraphs, router]);
  await databases.drop();
  return seconds;
}

async function measureTarget(
  target: Target,
  supergraphFile: string,
  selected: BenchQuery[],
  tokens: Record<BenchQuery['viewer'], string | undefined>,
): Promise<{ results: Partial<Record<BenchQuery['name'], TargetResult>>; rssMb: number | null }> {
  say(`${target}: starting`);
  const server = startTarget(target, supergraphFile);
  const results: Partial<Record<BenchQuery['name'], TargetResult>> = {};
  try {
    await targetReady(target, server);
    const url = `http://127.0.0.1:${TARGET_PORTS[target]}${TARGET_PATHS[target]}`;
    // First every query once (checked) and its SQL count, on otherwise idle subgraphs; then the load runs.
    const checked: { query: BenchQuery; expectBody: string; sql: Awaited<ReturnType<typeof sqlPerRequest>> }[] = [];
    for (const query of selected) {
      try {
        const expectBody = await send(requestFor(url, query, tokens[query.viewer]));
        query.check((JSON.parse(expectBody) as { data: unknown }).data);
        checked.push({ query, expectBody, sql: await sqlPerRequest(url, query, tokens[query.viewer]) });
      } catch (error) {
        say(`${target} ${query.name}: WRONG ANSWER: ${(error as Error).message}`);
        results[query.name] = { rps: 0, p50_ms: 0, p99_ms: 0, errors: 1, requests: 0, sql_per_request: null };
        exitCode = 1;
      }
    }
    for (const { query, expectBody, sql } of checked) {
      const request = requestFor(url, query, tokens[query.viewer]);
      const options = { connections: settings.BENCH_CONNECTIONS, expectBody };
      if (settings.BENCH_WARMUP_S > 0) await runLoad(request, { ...options, durationSeconds: settings.BENCH_WARMUP_S });
      const cpuBefore = cpuTimes(server);
      const load: LoadResult = await runLoad(request, { ...options, durationSeconds: settings.BENCH_DURATION_S });
      const cpu = cpuPerRequest(cpuBefore, cpuTimes(server), load.requests);
      if (load.errors > 0 || load.requests === 0) exitCode = 1;
      results[query.name] = {
        ...load,
        sql_per_request: sql.total,
        sql_by_service: sql.byService,
        cpu_ms_per_request: cpu,
      };
      say(
        `${target} ${query.name}: ${load.rps} req/s, p50 ${load.p50_ms} ms, p99 ${load.p99_ms} ms, ` +
          `${load.errors} errors, ${sql.total} SQL/request, CPU ms/request ${JSON.stringify(cpu)}`,
      );
      await quiet();
    }
    return { results, rssMb: server.rssMb() };
  } finally {
    await stop([server]);
  }
}

/**
 * Puts every query's subgraph fetches through the just-started subgraphs (JIT, database caches) before any
 * target is measured, so the first target measured does not pay for a cold start the others skip.
 */
async function warmSubgraphs(
  supergraphFile: string,
  selected: BenchQuery[],
  tokens: Record<BenchQuery['viewer'], string | undefined>,
): Promise<void> {
  if (settings.BENCH_SUBGRAPH_WARMUP_S === 0) return;
  say(`warming the subgraphs: ${settings.BENCH_SUBGRAPH_WARMUP_S} s per query through the floor`);
  const server = startTarget('floor', supergraphFile);
  try {
    await targetReady('floor', server);
    for (const query of selected) {
      const request = requestFor(`http://127.0.0.1:${TARGET_PORTS.floor}/graphql`, query, tokens[query.viewer]);
      const expectBody = await send(request);
      const options = { connections: settings.BENCH_CONNECTIONS, expectBody };
      await runLoad(request, { ...options, durationSeconds: settings.BENCH_SUBGRAPH_WARMUP_S });
    }
  } finally {
    await stop([server]);
  }
  await quiet();
}

/** CPU seconds used so far by a gateway and by the four subgraphs together. */
function cpuTimes(gateway: ServerProcess) {
  return {
    gateway: gateway.cpuSeconds(),
    subgraphs: benchSubgraphs.reduce((sum, subgraph) => sum + subgraph.cpuSeconds(), 0),
  };
}

function cpuPerRequest(before: ReturnType<typeof cpuTimes>, after: ReturnType<typeof cpuTimes>, requests: number) {
  const perRequest = (seconds: number) => (requests > 0 ? round((seconds * 1000) / requests, 2) : 0);
  return {
    gateway: perRequest(after.gateway - before.gateway),
    subgraphs: perRequest(after.subgraphs - before.subgraphs),
  };
}

/** Waits until the subgraphs have finished what a load run left queued (their SQL counts stop moving). */
async function quiet(): Promise<void> {
  let previous = JSON.stringify(await sqlStatements());
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const current = JSON.stringify(await sqlStatements());
    if (current === previous) return;
    previous = current;
  }
}

/**
 * Latency without load, fairly: every target runs at once on the same warm subgraphs, and requests go one
 * at a time, in turn to each target (round-robin), so drift in the subgraphs' speed hits all alike. Every
 * answer is compared with the target's checked one.
 */
async function measureUnloaded(
  supergraphFile: string,
  targets: Target[],
  selected: BenchQuery[],
  tokens: Record<BenchQuery['viewer'], string | undefined>,
  perTarget: Partial<Record<Target, { results: Partial<Record<BenchQuery['name'], TargetResult>> }>>,
): Promise<void> {
  say(`unloaded latency: ${UNLOADED_ROUNDS} rounds per query, one request at a time to each target in turn`);
  const servers = targets.map((target) => startTarget(target, supergraphFile));
  try {
    await Promise.all(targets.map((target, index) => targetReady(target, servers[index] as ServerProcess)));
    for (const query of selected) {
      const requests = targets.map((target) =>
        requestFor(`http://127.0.0.1:${TARGET_PORTS[target]}${TARGET_PATHS[target]}`, query, tokens[query.viewer]),
      );
      const expected = await Promise.all(requests.map((request) => send(request).catch(() => null)));
      const latencies = await roundRobinLatencies(requests, expected, UNLOADED_ROUNDS);
      targets.forEach((target, index) => {
        const result = perTarget[target]?.results[query.name];
        const measured = latencies[index] as { p50_ms: number; errors: number };
        if (!result) return;
        result.unloaded_p50_ms = measured.p50_ms;
        result.errors += measured.errors;
        if (measured.errors > 0) exitCode = 1;
      });
    }
  } finally {
    await stop(servers);
  }
}

/** SQL statements per request through our router as page sizes change (they should not). */
async function sqlByPageSize(supergraphFile: string, tokens: Record<BenchQuery['viewer'], string | undefined>) {
  const server = startTarget('ours', supergraphFile);
  try {
    await targetReady('ours', server);
    const url = `http://127.0.0.1:${TARGET_PORTS.ours}${TARGET_PATHS.ours}`;
    const sizes: Record<string, Record<string, number>> = {};
    for (const query of queries.filter((candidate) => candidate.name !== 'Q4')) {
      sizes[query.name] = {};
      for (const first of [5, 20, 100]) {
        const variables = { ...query.variables, first };
        sizes[query.name][String(first)] = (await sqlPerRequest(url, query, tokens[query.viewer], variables)).total;
      }
    }
    return sizes as Record<string, Record<string, number>>;
  } finally {
    await stop([server]);
  }
}

async function profileOurs(supergraphFile: string, query: BenchQuery, tokens: Record<string, string | undefined>) {
  const profileDir = path.join(RESULTS_DIR, 'profiles');
  rmSync(profileDir, { recursive: true, force: true });
  const server = startTarget('ours', supergraphFile, ['--cpu-prof', '--cpu-prof-dir', profileDir]);
  await targetReady('ours', server);
  const request = requestFor(`http://127.0.0.1:${TARGET_PORTS.ours}/graphql`, query, tokens[query.viewer]);
  const expectBody = await send(request);
  const options = { connections: settings.BENCH_CONNECTIONS, expectBody };
  if (settings.BENCH_WARMUP_S > 0) await runLoad(request, { ...options, durationSeconds: settings.BENCH_WARMUP_S });
  const startMicros = Number(process.hrtime.bigint() / 1000n);
  const load = await runLoad(request, { ...options, durationSeconds: settings.BENCH_DURATION_S });
  const endMicros = Number(process.hrtime.bigint() / 1000n);
  await stop([server]); // the profile is written as the process exits
  const markdown = summariseProfile(
    profileDir,
    `our router under ${query.name} (${query.title}), ${load.rps} req/s, ${settings.BENCH_CONNECTIONS} connections`,
    { startMicros, endMicros },
  );
  writeFileSync(path.join(RESULTS_DIR, `profile-${query.name}.md`), markdown);
  console.log(markdown);
  if (load.errors > 0) exitCode = 1;
}

async function main(): Promise<void> {
  const load = { before: loadavg().map((value) => round(value, 2)), after: [] as number[] };
  say(`work directory ${workDir}; ${settings.BENCH_DATABASE_URL ? 'PostgreSQL' : 'embedded PGlite'}`);
  say(cores.pinned ? `servers on cores ${cores.serverCores}, load generator on core ${cores.loadCore}` : 'no pinning');
  const supergraphFile = writeBenchSupergraph();

  const coldStartSeconds = settings.BENCH_PROFILE ? null : await measureColdStart(supergraphFile);
  if (coldStartSeconds !== null) say(`cold start of the whole supergraph: ${coldStartSeconds} s`);

  const databases = await provisionDatabases('data', workDir, settings.BENCH_DATABASE_URL);
  cleanups.push(() => databases.drop());
  const loadStarted = performance.now();
  await loadDataset(databases);
  const loadSeconds = round((performance.now() - loadStarted) / 1000, 1);
  say(`data set loaded in ${loadSeconds} s: ${JSON.stringify(SIZES)}`);

  benchSubgraphs = await startSubgraphs(databases, 'bench');
  const tokens = { anonymous: undefined, customer: await logIn(1), admin: await logIn(0) };
  for (const query of queries)
    if (query.name === 'Q4') query.variables = { id: productId(Number(Q4_PRODUCT_ID.split('-').at(-1))) };

  if (settings.BENCH_PROFILE) {
    const query = queries.find((candidate) => candidate.name === settings.BENCH_PROFILE) as BenchQuery;
    return profileOurs(supergraphFile, query, tokens);
  }

  const selected = queries.filter((query) => settings.BENCH_QUERIES.split(',').includes(query.name));
  const targets = TARGETS.filter((target) => settings.BENCH_TARGETS.split(',').includes(target));
  await warmSubgraphs(supergraphFile, selected, tokens);
  const perTarget: Partial<Record<Target, Awaited<ReturnType<typeof measureTarget>>>> = {};
  for (const target of targets) perTarget[target] = await measureTarget(target, supergraphFile, selected, tokens);
  await measureUnloaded(supergraphFile, targets, selected, tokens, perTarget);
  const pageSizes = await sqlByPageSize(supergraphFile, tokens);
  load.after = loadavg().map((value) => round(value, 2));

  const report: BenchReport = {
    generated_at: new Date().toISOString(),
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      memory_gb: round(totalmem() / 1024 ** 3, 1),
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      database: settings.BENCH_DATABASE_URL ? 'PostgreSQL (BENCH_DATABASE_URL)' : 'embedded PGlite',
      pinning: cores.pinned ? { servers: cores.serverCores, load_generator: cores.loadCore } : null,
      load_average: load,
    },
    settings: {
      connections: settings.BENCH_CONNECTIONS,
      duration_s: settings.BENCH_DURATION_S,
      warmup_s: settings.BENCH_WARMUP_S,
      data_set: SIZES,
      data_load_s: loadSeconds,
    },
    queries: Object.fromEntries(
      selected.map((query) => {
        const entry: QueryReport = { title: query.title, ratios: {} };
        for (const target of targets) {
          const result = perTarget[target]?.results[query.name];
          if (result) entry[target] = result;
        }
        for (const other of ['stock', 'hive', 'floor'] as const) {
          const ours = entry.ours?.rps;
          const theirs = entry[other]?.rps;
          entry.ratios[other] = ours && theirs ? round(ours / theirs, 2) : null;
        }
        return [query.name, entry];
      }),
    ),
    sql_per_request_by_page_size: pageSizes,
    router_rss_mb: perTarget.ours?.rssMb ?? null,
    rss_mb: Object.fromEntries(targets.map((target) => [target, perTarget[target]?.rssMb ?? null])),
    cold_start_s: coldStartSeconds,
  };
  const output = path.join(RESULTS_DIR, settings.BENCH_OUTPUT);
  writeFileSync(`${output}.json`, `${JSON.stringify(report, null, 2)}\n`);
  const markdown = renderMarkdown(report);
  writeFileSync(`${output}.md`, markdown);
  console.log(`\n${markdown}`);
  say(`wrote ${path.relative(REPOSITORY_ROOT, output)}.json and .md`);
}

try {
  await main();
} catch (error) {
  console.error('[bench] failed:', error);
  exitCode = 1;
} finally {
  await stop([...running]);
  for (const cleanup of cleanups) await cleanup().catch((error: unknown) => console.error(error));
  rmSync(workDir, { recursive: true, force: true });
}
if (exitCode !== 0) console.error('[bench] FAILED: a request failed or an answer was wrong (see above)');
process.exit(exitCode);
