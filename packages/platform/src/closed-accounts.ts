import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import { ClosedAccountsUnknown, createTokenVerifier } from './auth.js';
import type { baseEnvironment, z } from './environment.js';

type BaseEnvironment = z.infer<typeof baseEnvironment>;

import type { Logger } from './logger.js';

/** An account closed by its holder: tokens issued for it must stop working everywhere. */
export interface ClosedAccount {
  id: string;
  closedAt: Date;
}

/** How long an authenticated request right after start waits for the first list of closed accounts. */
const FIRST_LOAD_WAIT_MS = 3_000;
/** How soon a first load that failed (users starting too) is tried again. */
const FIRST_LOAD_RETRY_MS = 250;

/** Tokens live at most a day (JWT_TTL_SECONDS ≤ 86 400): a closure older than that has no live token left. */
const TOKEN_LIFETIME_MAX_MS = 86_400_000;
/** Closures committed late (clock skew, slow transactions) are caught by asking again a little further back. */
const OVERLAP_MS = 60_000;

/**
 * Which accounts were closed recently, kept in memory and refreshed every `intervalMs` from the users service
 * (every service polls; the users service answers from its own table). A token whose subject is in it is
 * refused, so a closed account's tokens stop working everywhere within one interval. When users does not
 * answer, the last list stays in force and the next poll tries again.
 */
export function watchClosedAccounts(options: {
  fetchClosedSince: (since: Date) => Promise<ClosedAccount[]>;
  intervalMs: number;
  /** How long a request right after start waits for the first list (FIRST_LOAD_WAIT_MS). */
  firstLoadWaitMs?: number;
  log: Logger;
}) {
  const closed = new Map<string, number>();
  let newest = Date.now() - TOKEN_LIFETIME_MAX_MS;
  let failing = false;
  let loaded = false;

  async function refresh(): Promise<void> {
    try {
      const since = new Date(Math.max(newest - OVERLAP_MS, Date.now() - TOKEN_LIFETIME_MAX_MS));
      for (const account of await options.fetchClosedSince(since)) {
        closed.set(account.id, account.closedAt.getTime());
        newest = Math.max(newest, account.closedAt.getTime());
      }
      const expired = Date.now() - TOKEN_LIFETIME_MAX_MS;
      for (const [id, closedAt] of closed) if (closedAt < expired) closed.delete(id);
      if (failing) options.log.info('closed accounts: the users service answers again');
      failing = false;
      loaded = true;
    } catch (error) {
      // At start, users (often starting too) not answering yet is expected: said only when debugging.
      if (!loaded) options.log.debug({ err: error }, 'closed accounts: users does not answer yet');
      else if (!failing)
        options.log.warn({ err: error }, 'closed accounts: users did not answer; keeping the last list');
      failing = loaded;
      // Until the first list arrives, signed-in requests wait for it: ask again soon, not at the next interval.
      if (!loaded && !stopped) setTimeout(() => void refreshOnce(), FIRST_LOAD_RETRY_MS).unref();
    }
  }

  let stopped = false;
  let refreshing: Promise<void> | null = null;
  // Outside any request's trace: a refresh a request waits for is the process's work, not that request's.
  const refreshOnce = () =>
    (refreshing ??= context.with(ROOT_CONTEXT, refresh).finally(() => {
      refreshing = null;
    }));
  void refreshOnce();
  const timer = setInterval(refreshOnce, options.intervalMs);
  timer.unref();
  /** Waits (bounded) for the first list, asking users again meanwhile; throws if it never comes. */
  async function firstLoad(): Promise<void> {
    for (
      const deadline = Date.now() + (options.firstLoadWaitMs ?? FIRST_LOAD_WAIT_MS);
      !loaded && Date.now() < deadline;
    ) {
      await Promise.race([refreshOnce(), new Promise((resolve) => setTimeout(resolve, FIRST_LOAD_RETRY_MS))]);
    }
    if (!loaded) throw new ClosedAccountsUnknown();
  }

  return {
    /**
     * Whether the account is closed. Until the list has been loaded once (a process just started: it remembers
     * nothing of closures from before), it asks users now and waits for the answer, bounded; if users does not
     * answer, the token cannot be checked and the request is refused as unavailable rather than trusted.
     */
    isClosed: (userId: string): boolean | Promise<boolean> =>
      // Once loaded (every request but the first few after start), a plain lookup: no promise on the hot path.
      loaded ? closed.has(userId) : firstLoad().then(() => closed.has(userId)),
    /** Takes effect here at once (the users service, which closed the account itself). */
    add: (account: ClosedAccount) => closed.set(account.id, account.closedAt.getTime()),
    stop: () => {
      stopped = true;
      clearInterval(timer);
    },
  };
}

export type ClosedAccounts = ReturnType<typeof watchClosedAccounts>;

const CLOSED_ACCOUNTS = `query ClosedAccounts($since: DateTime!) { closedAccounts(since: $since) { id closedAt } }`;

/** Asks the users subgraph (an internal field, with the internal API token) for accounts closed since then. */
export function closedAccountsFromUsers(usersUrl: string, internalToken: string, timeoutMs = 5_000) {
  return async (since: Date): Promise<ClosedAccount[]> => {
    const response = await fetch(usersUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-internal-token': internalToken },
      body: JSON.stringify({ query: CLOSED_ACCOUNTS, variables: { since: since.toISOString() } }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await response.json()) as {
      data?: { closedAccounts: { id: string; closedAt: string }[] };
      errors?: { message: string }[];
    };
    if (!body.data) throw new Error(`users answered HTTP ${response.status}: ${body.errors?.[0]?.message ?? ''}`);
    return body.data.closedAccounts.map((account) => ({ id: account.id, closedAt: new Date(account.closedAt) }));
  };
}

/**
 * Every service's token check: the public key, and the accounts closed recently (asked from users, unless the
 * service knows another way: users itself reads its own table).
 */
export async function createServiceTokenVerifier(
  env: BaseEnvironment,
  publicPem: string,
  internalToken: string,
  log: Logger,
  fetchClosedSince: (since: Date) => Promise<ClosedAccount[]> = closedAccountsFromUsers(env.USERS_URL, internalToken),
) {
  const closedAccounts = watchClosedAccounts({
    fetchClosedSince,
    intervalMs: env.CLOSED_ACCOUNTS_POLL_SECONDS * 1000,
    log,
  });
  return { closedAccounts, verifyToken: await createTokenVerifier(publicPem, closedAccounts.isClosed) };
}
