import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PrismaInstrumentation } from '@prisma/instrumentation';
import {
  type ClosedAccounts,
  collectProcessMetrics,
  countSqlStatements,
  createLogger,
  createServiceTokenVerifier,
  dataRoot,
  type Logger,
  listen,
  loadInternalToken,
  loadKeyPems,
  runService,
  type ServedService,
  startTracing,
  startupFailure,
  type TokenVerifier,
  urlOf,
} from '@shop/platform';
import { type Database, openDatabase } from './database/open.js';
import { type DatabaseLocation, redact } from './database/url.js';
import {
  type BackgroundJob,
  databaseLocation,
  parseSubgraphEnvironment,
  type SubgraphManifest,
} from './subgraph-manifest.js';
import { createSubgraph, type RequestBase, type SubgraphRuntime } from './subgraph-server.js';

interface PrismaLike {
  $disconnect(): Promise<void>;
}

/** The plumbing a subgraph runs on, made once per process (by runSubgraph, or by a test). */
export interface SubgraphPlumbing<Client extends PrismaLike> {
  database: Database<Client>;
  env: { NODE_ENV: string };
  log: Logger;
  keys: { privatePem?: string | undefined; publicPem: string };
  verifyToken: TokenVerifier;
  closedAccounts: ClosedAccounts;
  internalToken: string;
  /** False: background jobs run only when asked (runJob), as tests want. */
  runJobs?: boolean;
}

/** Opens (and migrates) a subgraph's database; `logQueries` makes the client emit Prisma `query` events. */
export function openSubgraphDatabase<Client extends PrismaLike>(
  manifest: Pick<SubgraphManifest<Client, never, RequestBase>, 'migrationsDir' | 'createClient'>,
  location: DatabaseLocation,
  {
    logQueries = false,
    migrations = 'apply' as 'apply' | 'verify',
    pgliteSettings = [] as string[],
    pgliteTemplate = 'migrated' as 'migrated' | 'empty',
  } = {},
): Promise<Database<Client>> {
  return openDatabase({
    location,
    migrationsDir: fileURLToPath(manifest.migrationsDir),
    createClient: (adapter) => manifest.createClient(adapter, { logQueries }),
    migrations,
    pgliteSettings,
    pgliteTemplate,
  });
}

/**
 * A subgraph on its database, not listening yet: its HTTP handler, and its background jobs running (at start,
 * then each at its interval; a tick that comes while the last run still runs is skipped). runSubgraph serves
 * it; tests put it on a port of their own.
 */
export async function startSubgraph<Client extends PrismaLike, Settings, Context extends RequestBase>(
  manifest: SubgraphManifest<Client, Settings, Context>,
  settings: Settings,
  plumbing: SubgraphPlumbing<Client>,
) {
  const { database, log, keys, internalToken, closedAccounts } = plumbing;
  const instance = await manifest.start({
    prisma: database.prisma,
    reads: database.reads,
    settings,
    log,
    keys,
    internalToken,
    closedAccounts,
  });
  const { handler, pruneChanges, endStreams } = await createSubgraph<Context>(
    { ...plumbing, prisma: database.prisma as unknown as SubgraphRuntime['prisma'] },
    {
      service: manifest.name,
      schemaFile: manifest.schemaFile,
      resolvers: manifest.resolvers,
      context: instance.context,
      cache: manifest.cache,
    },
  );
  const everyJob: BackgroundJob[] = [
    ...(instance.jobs ?? []),
    ...(pruneChanges ? [{ name: 'prune-cache-changes', everyMs: 60_000, run: pruneChanges }] : []),
  ];
  const jobs = everyJob.map((job) => {
    let running: Promise<unknown> | null = null;
    const run = () =>
      (running ??= job
        .run()
        .catch((error: unknown) =>
          log.warn({ err: error, job: job.name }, 'background job failed; retrying at the next interval'),
        )
        .finally(() => {
          running = null;
        }));
    const timer = plumbing.runJobs === false ? undefined : setInterval(run, job.everyMs);
    if (timer) {
      void run();
      timer.unref();
    }
    return {
      name: job.name,
      run: job.run,
      stop: async () => {
        clearInterval(timer);
        await running;
      },
    };
  });
  return {
    handler,
    /** Ends open subscriptions' streams (the server is stopping). */
    endStreams,
    /** Runs a background job now (tests), answering what the job answers. */
    runJob: (name: string) => {
      const job = jobs.find((candidate) => candidate.name === name);
      if (!job) throw new Error(`${manifest.name} has no background job ${name}`);
      return job.run();
    },
    close: async () => {
      for (const job of jobs) await job.stop();
    },
  };
}

/**
 * A subgraph's main: validate the environment (once), open (migrate, and for a new embedded database seed) the
 * database, serve, and on SIGTERM/SIGINT stop accepting, finish in-flight requests and close the database.
 * Start-up problems print one line and exit 1. With the argument `migrate` (a migration job), it applies the
 * pending migrations and exits.
 */
export async function runSubgraph<Client extends PrismaLike, Settings, Context extends RequestBase>(
  manifest: SubgraphManifest<Client, Settings, Context>,
): Promise<void> {
  if (process.argv[2] === 'migrate') return migrateSubgraph(manifest);
  return runService(manifest.name, () => serveSubgraph(manifest));
}

/** The migration job: applies the pending migrations and exits. */
async function migrateSubgraph<Client extends PrismaLike, Settings, Context extends RequestBase>(
  manifest: SubgraphManifest<Client, Settings, Context>,
): Promise<void> {
  try {
    const env = parseSubgraphEnvironment(manifest, process.env);
    const log = createLogger(manifest.name, env.shared.LOG_LEVEL);
    const database = await openSubgraphDatabase(manifest, databaseLocation(manifest, env));
    log.info(
      { applied: database.migrations.applied },
      `${manifest.name}: ${database.migrations.applied.length} migration(s) applied`,
    );
    await database.close();
  } catch (error) {
    console.error(startupFailure(manifest.name, error));
    process.exit(1);
  }
}

/** Opens the subgraph's database (migrated, a new embedded one seeded) and serves it on its port. */
export async function serveSubgraph<Client extends PrismaLike, Settings, Context extends RequestBase>(
  manifest: SubgraphManifest<Client, Settings, Context>,
): Promise<ServedService> {
  const service = manifest.name;
  const env = parseSubgraphEnvironment(manifest, process.env);
  const { shared } = env;
  const log = createLogger(service, shared.LOG_LEVEL);
  const tracing = startTracing(service);
  // Prisma's spans: one per client operation and one per SQL statement it sends.
  if (tracing) {
    const prismaSpans = new PrismaInstrumentation({ enabled: false });
    prismaSpans.setTracerProvider(tracing.provider);
    prismaSpans.enable();
  }
  const production = shared.NODE_ENV === 'production';
  const keyDir = path.join(dataRoot(shared), 'keys');
  const keys = await loadKeyPems({ ...shared, keyDir, production });
  const internalToken = loadInternalToken({ ...shared, keyDir, production });
  const location = databaseLocation(manifest, env);
  log.info(
    location.kind === 'pglite'
      ? `opening the embedded database ${location.dataDir ?? '(in memory)'} (a new one starts from a template and is migrated and seeded)`
      : `opening PostgreSQL ${redact(location.url)}`,
  );
  // Query events feed the SQL statement counter at GET /metrics.
  const database = await openSubgraphDatabase(manifest, location, {
    logQueries: true,
    migrations: shared.MIGRATE_ON_START === 'true' ? 'apply' : 'verify',
    // The development data set is small, and `npm start` holds four embedded databases in one process:
    // PostgreSQL's default 128 MB of shared buffers each would be most of its memory.
    pgliteSettings: production ? [] : ['shared_buffers=16MB'],
  });
  try {
    countSqlStatements(database, service);
    const { verifyToken, closedAccounts } = await createServiceTokenVerifier(
      shared,
      keys.publicPem,
      internalToken,
      log,
      manifest.closedAccountsSource?.(database),
    );
    collectProcessMetrics();
    if (database.migrations.applied.length > 0)
      log.info({ migrations: database.migrations.applied }, 'applied migrations');
    if (database.migrations.created && location.kind === 'pglite' && !production) {
      await manifest.seed(database.prisma);
      log.info('new embedded database: seeded the development data set');
    }
    const subgraph = await startSubgraph(manifest, env.settings, {
      database,
      env: shared,
      log,
      keys,
      verifyToken,
      closedAccounts,
      internalToken,
    });
    const server = await listen(subgraph.handler, { host: shared.HOST, port: env.port, portVariable: env.names.port });
    log.info({ url: urlOf(server, '/graphql') }, `${service} subgraph ready`);
    return {
      server,
      log,
      drainMs: shared.SHUTDOWN_DRAIN_MS,
      endStreams: subgraph.endStreams,
      closeResources: async () => {
        closedAccounts.stop();
        await subgraph.close();
        await database.close();
        await tracing?.shutdown();
      },
    };
  } catch (error) {
    await database.close().catch(() => undefined);
    throw error;
  }
}
