import type http from 'node:http';
import type { Logger } from './logger.js';

const SHUTDOWN_GRACE_MS = 10_000;

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
