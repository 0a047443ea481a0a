import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { type ClosedAccount, watchClosedAccounts } from '../closed-accounts.js';

/** The list of closed accounts every service keeps: loaded before it answers, kept when users is away. */
const log = pino({ level: 'silent' });
const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

function watch(fetchClosedSince: (since: Date) => Promise<ClosedAccount[]>) {
  const watcher = watchClosedAccounts({ fetchClosedSince, intervalMs: 60_000, log });
  stops.push(watcher.stop);
  return watcher;
}

describe('closed accounts', () => {
  it('answers from the loaded list, with a plain boolean once loaded', async () => {
    const watcher = watch(async () => [{ id: 'gone', closedAt: new Date() }]);
    expect(await watcher.isClosed('gone')).toBe(true);
    expect(watcher.isClosed('here')).toBe(false); // loaded: no promise
  });

  it('waits for a first list that fails at first (users still starting)', async () => {
    let calls = 0;
    const watcher = watch(async () => {
      if (++calls < 3) throw new Error('connection refused');
      return [{ id: 'gone', closedAt: new Date() }];
    });
    expect(await watcher.isClosed('gone')).toBe(true);
    expect(calls).toBeGreaterThanOrEqual(3);
  });

  it('refuses to guess when users never answers', async () => {
    const watcher = watchClosedAccounts({
      fetchClosedSince: async () => {
        throw new Error('connection refused');
      },
      intervalMs: 60_000,
      firstLoadWaitMs: 300,
      log,
    });
    stops.push(watcher.stop);
    await expect(watcher.isClosed('anyone')).rejects.toThrow(/cannot be checked/);
  });

  it('takes a closure made here at once', async () => {
    const watcher = watch(async () => []);
    await watcher.isClosed('x');
    watcher.add({ id: 'x', closedAt: new Date() });
    expect(watcher.isClosed('x')).toBe(true);
  });
});
