import type http from 'node:http';
import path from 'node:path';
import { createTokenVerifier, loadInternalToken, loadKeyPems, type TokenVerifier } from './auth.js';
import { type ClosedAccounts, closedAccountsFromUsers, watchClosedAccounts } from './closed-accounts.js';
import { dataRoot, type ServiceDatabase } from './database/service-database.js';
import { type baseEnvironment, parseEnvironment, type z } from './environment.js';
import { listen, urlOf } from './http.js';
import { createLogger, type Logger } from './logger.js';
import { collectProcessMetrics, countSqlStatements } from './metrics.js';
import { StartupError } from './startup-error.js';

type BaseEnvironment = z.infer<typeof baseEnvironment> & { JWT_PUBLIC_KEY?: string | undefined };

/** Every service's token check: the public key, and the accounts closed recently (asked from users). */
export async function createServiceTokenVerifier(
  env: BaseEnvironment & { USERS_URL: string },
  publicPem: string,
  internalToken: string,
  log: Logger,
) {
  const closedAccounts = watchClosedAccounts({
    fetchClosedSince: closedAccountsFromUsers(env.USERS_URL, internalToken),
    intervalMs: env.CLOSED_ACCOUNTS_POLL_SECONDS * 1000,
    log,
  });
  return { closedAccounts, verifyToken: await createTokenVerifier(publicPem, closedAccounts.isClosed) };
}

export interface SubgraphDependencies<Client, Environment> {
  prisma: Client;
  env: Environment;
  log: Logger;
  /** PEM keys for tokens; privatePem only where configured (the users service signs). */
  keys: { privatePem?: string | undefined; publicPem: string };
  verifyToken: TokenVerifier;
  /** The accounts closed recently, whose tokens verifyToken refuses. */
  closedAccounts: ClosedAccounts;
  /** The shared secret for internal service-to-service operations. */
  internalToken: string;
}

export interface SubgraphProgram<Client extends { $disconnect(): Promise<void> }, Environment extends BaseEnvironment> {
  database: ServiceDatabase<Client>;
  environment: z.ZodType<Environment>;
  /** The variable that sets this service's port (a number in the environment schema), e.g. PRODUCTS_PORT. */
  portVariable: keyof Environment & string;
  /** `close`, if given, runs at shutdown before the database closes (e.g. to stop background work). */
  build: (
    dependencies: SubgraphDependencies<Client, Environment>,
  ) => Promise<{ handler: http.RequestListener; close?: () => Promise<void> }>;
}

const SHUTDOWN_GRACE_MS = 10_000;

/**
 * A subgraph's main: validate the environment, open (migrate, and for a new embedded database seed) the
 * database, serve, and on SIGTERM/SIGINT stop accepting, finish in-flight requests and close the database.
 * Start-up problems print one line and exit 1.
 */
export async function runSubgraph<Client extends { $disconnect(): Promise<void> }, Environment extends BaseEnvironment>(
  program: SubgraphProgram<Client, Environment>,
): Promise<void> {
  const service = program.database.service;
  try {
    const env = parseEnvironment(program.environment, process.env);
    const log = createLogger(service, env.LOG_LEVEL);
    const production = env.NODE_ENV === 'production';
    const keyDir = path.join(dataRoot(process.env), 'keys');
    const keys = await loadKeyPems({ ...process.env, keyDir, production });
    const internalToken = loadInternalToken({ ...process.env, keyDir, production });
    const { verifyToken, closedAccounts } = await createServiceTokenVerifier(env, keys.publicPem, internalToken, log);

    const location = program.database.locate(process.env);
    // Query events feed the SQL statement counter at GET /metrics.
    const database = await program.database.open(location, { logQueries: true });
    countSqlStatements(database.prisma, service);
    collectProcessMetrics();
    if (database.migrations.applied.length > 0)
      log.info({ migrations: database.migrations.applied }, 'applied migrations');
    if (database.migrations.created && location.kind === 'pglite' && !production) {
      await program.database.seed(database.prisma);
      log.info('new embedded database: seeded the development data set');
    }

    const { handler, close } = await program.build({
      prisma: database.prisma,
      env,
      log,
      keys,
      verifyToken,
      closedAccounts,
      internalToken,
    });
    const server = await listen(handler, {
      host: env.HOST,
      port: env[program.portVariable] as number,
      portVariable: program.portVariable,
    });
    log.info({ url: urlOf(server, '/graphql') }, `${service} subgraph ready`);
    stopOnSignals(
      server,
      log,
      async () => {
        closedAccounts.stop();
        await close?.();
        await database.close();
      },
      env.SHUTDOWN_DRAIN_MS,
    );
  } catch (error) {
    if (error instanceof StartupError || (error as Error).name === 'MigrationError') {
      console.error(`${service}: ${(error as Error).message}`);
    } else {
      console.error(`${service}: failed to start:`, error);
    }
    process.exit(1);
  }
}

/**
 * Graceful shutdown on SIGTERM/SIGINT: first a drain period in which requests are still served (each answer
 * closing its connection, so none is cut mid-request even if it is still in the socket buffer), then stop
 * accepting, let in-flight requests finish (at most SHUTDOWN_GRACE_MS), close resources and exit 0.
 */
export function stopOnSignals(
  server: http.Server,
  log: Logger,
  closeResources: () => Promise<void>,
  drainMs: number,
): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, drainMs }, 'stopping: draining, then finishing in-flight requests');
    server.on('request', (_request: http.IncomingMessage, response: http.ServerResponse) =>
      response.setHeader('connection', 'close'),
    );
    setTimeout(() => {
      const force = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS).unref();
      server.close(async () => {
        clearTimeout(force);
        await closeResources().catch((error: unknown) => log.error({ err: error }, 'error while closing'));
        log.info('stopped');
        process.exit(0);
      });
      server.closeIdleConnections();
    }, drainMs).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
