import type http from 'node:http';
import type { Logger } from './logger.js';

const SHUTDOWN_GRACE_MS = 10_000;

/**
 * Graceful shutdown on SIGTERM/SIGINT: first a drain period in which requests are still served (each answer
 * closing its connection, so none is cut mid-request even if it is still in the socket buffer), then end open
 * streams, stop accepting, let in-flight requests finish (at most SHUTDOWN_GRACE_MS), close resources and exit 0.
 */
export function stopOnSignals(
  server: http.Server,
  log: Logger,
  closeResources: () => Promise<void>,
  drainMs: number,
  endStreams: () => void = () => undefined,
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
      // Subscriptions never finish by themselves (and a WebSocket would keep the server open for ever).
      endStreams();
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

/** A service this process serves: its HTTP server, its log, and how to close what it holds after the server stops. */
export interface ServedService {
  server: http.Server;
  log: Logger;
  closeResources: () => Promise<void>;
  drainMs: number;
  /** Ends what stays open until told (event streams, WebSockets), when the server stops accepting. */
  endStreams?: () => void;
}

/**
 * `npm start`'s one development process (scripts/one-process.ts) runs every service's compiled main in one
 * Node process: it sets this host first, and a main that finds it hands its service over instead of running
 * it as a process of its own (signals, exit codes and logs are then the host's).
 */
export const ONE_PROCESS_HOST = Symbol.for('shop-supergraph.one-process-host');
export interface OneProcessHost {
  serve(name: string, start: () => Promise<ServedService>): void;
}

/** A service's main: served alone (stopped by SIGTERM/SIGINT), or handed to the one-process host. */
export async function runService(name: string, start: () => Promise<ServedService>): Promise<void> {
  const host = (globalThis as { [ONE_PROCESS_HOST]?: OneProcessHost })[ONE_PROCESS_HOST];
  if (host) return host.serve(name, start);
  try {
    const served = await start();
    stopOnSignals(served.server, served.log, served.closeResources, served.drainMs, served.endStreams);
  } catch (error) {
    console.error(startupFailure(name, error));
    process.exit(1);
  }
}

/** One line for a start-up problem the operator can fix; the whole error otherwise. */
export function startupFailure(name: string, error: unknown): string {
  // By name: in the one development process each service's bundle has its own copy of these classes.
  const kind = (error as Error).name;
  return kind === 'StartupError' || kind === 'MigrationError'
    ? `${name}: ${(error as Error).message}`
    : `${name}: failed to start: ${(error as Error).stack ?? error}`;
}
