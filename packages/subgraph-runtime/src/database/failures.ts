/**
 * What a database error means for the request that met it, whichever layer raised it (pg, a driver adapter,
 * Prisma's client): `unavailable` — the database could not be reached or went away (a restart, a pool that
 * gave no connection in time): an outage, answered SERVICE_UNAVAILABLE, never a crash or an internal error;
 * `conflict` — a deadlock or serialization failure that rolled the transaction back: safe to run again;
 * null — anything else (a bug, a constraint), which stays what it is.
 */
export type DatabaseFailure = 'unavailable' | 'conflict';

/** SQLSTATE classes and codes: 08 connection exceptions, 57P admin shutdown/crash/cannot connect now, 53300. */
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[1-4]|53300)$/;
const CONFLICT_SQLSTATE = new Set(['40001', '40P01']);
/**
 * Prisma's codes: can't reach (P1001), timed out (P1002, P1008), closed (P1017), pool timeout (P2024), too many
 * connections (P2037), and its transaction manager's errors (P2028: no connection in time, or a transaction
 * closed under it — rolled back either way, so nothing was committed).
 */
const UNAVAILABLE_PRISMA = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028', 'P2037']);
/** Write conflict or deadlock (P2034). */
const CONFLICT_PRISMA = new Set(['P2034']);
/** Driver adapter error kinds (Prisma 7's adapters). */
const UNAVAILABLE_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections']);
const UNAVAILABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH']);
/** Words libraries use when a connection is gone or never came (pg, Prisma's transaction manager). */
const UNAVAILABLE_MESSAGE =
  /can't reach database server|connection terminated|terminating connection|the database system is (shutting down|starting up|in recovery mode)|unable to start a transaction in the given time|timeout exceeded when trying to connect|connection (is )?closed|client has encountered a connection error|Connection ended unexpectedly/i;

/** Classifies an error by everything it carries: codes, driver error kinds, causes, messages. Pure. */
export function databaseFailureOf(error: unknown): DatabaseFailure | null {
  let unavailable = false;
  let conflict = false;
  const seen = new Set<unknown>();
  const visit = (value: unknown, depth: number): void => {
    if (value === null || typeof value !== 'object' || seen.has(value) || depth > 6) return;
    seen.add(value);
    const record = value as Record<string, unknown>;
    for (const key of ['code', 'originalCode', 'kind', 'errno']) {
      const found = record[key];
      if (typeof found !== 'string') continue;
      if (UNAVAILABLE_SQLSTATE.test(found) || UNAVAILABLE_PRISMA.has(found) || UNAVAILABLE_KINDS.has(found))
        unavailable = true;
      if (UNAVAILABLE_ERRNO.has(found)) unavailable = true;
      if (CONFLICT_SQLSTATE.has(found) || CONFLICT_PRISMA.has(found) || found === 'TransactionWriteConflict')
        conflict = true;
    }
    for (const key of ['message', 'originalMessage']) {
      const text = record[key];
      if (typeof text === 'string' && UNAVAILABLE_MESSAGE.test(text)) unavailable = true;
      if (typeof text === 'string' && /deadlock detected|could not serialize access/i.test(text)) conflict = true;
    }
    for (const key of ['cause', 'meta', 'driverAdapterError', 'originalError', 'errors']) {
      const nested = record[key];
      if (Array.isArray(nested)) for (const item of nested) visit(item, depth + 1);
      else visit(nested, depth + 1);
    }
  };
  visit(error, 0);
  // A connection lost mid-transaction can also read as a conflict; the outage is what the caller must know.
  return unavailable ? 'unavailable' : conflict ? 'conflict' : null;
}

/** How many times a transaction that met a deadlock or serialization failure is run in all. */
const CONFLICT_ATTEMPTS = 5;

/**
 * Runs a transaction again when the database rolled it back for a deadlock or a serialization failure (and,
 * when `alsoRetry` says so, for another reason the caller knows is safe), with a short random pause: the
 * other transaction has usually finished by then. Anything else, and the last attempt's failure, is thrown.
 */
export async function retryConflicts<T>(
  work: () => Promise<T>,
  alsoRetry: (error: unknown) => boolean = () => false,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const again = databaseFailureOf(error) === 'conflict' || alsoRetry(error);
      if (!again || attempt >= CONFLICT_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
    }
  }
}
