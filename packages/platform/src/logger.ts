import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * JSON logs to stdout, one line per event; `service` and, per request, `requestId` on every line. Written
 * asynchronously, so a slow log sink does not stall request handling; pino flushes what is pending on exit.
 */
export function createLogger(service: string, level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    { name: service, level, base: { service }, timestamp: pino.stdTimeFunctions.isoTime },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
