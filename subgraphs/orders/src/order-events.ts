import { Repeater } from '@repeaterjs/repeater';
import { type ClosedAccounts, type Logger, userError, type Viewer } from '@shop/platform';
import type { OrderWithItems } from './repository.js';

/**
 * Live order updates (`Subscription.orderUpdated`), from the orders' committed changes: the rows the
 * `cache_changes` triggers record in the writing transaction (README: "Cache"), so a change made by any replica,
 * the recovery sweep or by hand is delivered, and a rolled-back one never is. One reader per process polls the
 * log while anyone listens and hands each change to the subscribers allowed to see it.
 *
 * Each event's `sequence` is its place in the log (the writer's transaction id, then the row's order within
 * it): a client subscribing again with `after` gets every change after that one, then the live ones, with no
 * gap and no repeat. Positions follow the snapshot horizon, as the routers' change feeds do: a read returns only
 * transactions that have ended, so nothing ever commits behind a position already read.
 */

/** An order as one committed change left it. */
export interface OrderEvent {
  sequence: string;
  order: OrderWithItems;
}

/** The last event of a subscription that ends with an error (a closed account, a resume point too old). */
export interface EndOfEvents {
  error: Error;
}

interface OrderChange {
  txid: bigint;
  seq: bigint;
  row: ChangedOrderRow;
}

/** The columns the trigger records (schema names). */
interface ChangedOrderRow {
  id: string;
  user_id: string;
  status: OrderWithItems['status'];
  cancel_reason: string | null;
}

interface SqlRunner {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
}

/**
 * Status changes and new orders with transaction ids from `$1` (null: none, only the horizon), after the change
 * `($2, $3)`, below `$4` (null: the horizon, below which every transaction has ended).
 */
const READ_ORDER_CHANGES = `
  WITH horizon AS (SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS position)
  SELECT horizon.position::text AS position, log.pruned_before::text AS "prunedBefore",
    (SELECT coalesce(json_agg(json_build_array(c.txid::text, c.seq::text, c.new_row) ORDER BY c.txid, c.seq), '[]')
       FROM cache_changes c
      WHERE $1::bigint IS NOT NULL AND c.table_name = 'orders' AND c.new_row IS NOT NULL
        AND (c.old_row IS NULL OR c.old_row->>'status' IS DISTINCT FROM c.new_row->>'status')
        AND c.txid >= $1::bigint AND (c.txid, c.seq) > ($2::bigint, $3::bigint)
        AND c.txid < coalesce($4::bigint, horizon.position)) AS changes
  FROM cache_change_log log, horizon`;

const SEQUENCE = /^([0-9]{1,19})\.([0-9]{1,19})$/;

export interface OrderEventsOptions {
  prisma: SqlRunner;
  /** The current orders, by id, with their items (an event carries the order as its change left it). */
  ordersByIds: (ids: string[]) => Promise<OrderWithItems[]>;
  closedAccounts: ClosedAccounts;
  intervalMs: number;
  log: Logger;
  /** Runs `run` every `ms` until cancelled (tests drive it themselves). */
  every?: (run: () => void, ms: number) => () => void;
}

const everyInterval = (run: () => void, ms: number) => {
  const timer = setInterval(run, ms).unref();
  return () => clearInterval(timer);
};

interface Subscriber {
  viewer: Viewer;
  allOrders: boolean;
  deliver: (changes: OrderChange[]) => void;
  end: (error: Error) => void;
}

export function createOrderEvents({
  prisma,
  ordersByIds,
  closedAccounts,
  intervalMs,
  log,
  every = everyInterval,
}: OrderEventsOptions) {
  const subscribers = new Set<Subscriber>();
  /** Every change below it has been handed out; null until the first read. */
  let position: bigint | null = null;
  let cancelPolling: (() => void) | undefined;
  let failing = false;

  async function read(since: bigint | null, after: [bigint, bigint], below: bigint | null) {
    const [row] = await prisma.$queryRawUnsafe<
      { position: string; prunedBefore: string; changes: [string, string, ChangedOrderRow][] }[]
    >(
      READ_ORDER_CHANGES,
      since?.toString() ?? null,
      after[0].toString(),
      after[1].toString(),
      below?.toString() ?? null,
    );
    if (!row) throw new Error('cache_change_log has no row: the cache_changes migration did not run');
    const changes = row.changes.map(([txid, seq, changed]) => ({ txid: BigInt(txid), seq: BigInt(seq), row: changed }));
    return { position: BigInt(row.position), prunedBefore: BigInt(row.prunedBefore), changes };
  }

  /**
   * One read of what was committed since the last; every subscriber gets what it may see. One at a time: a read
   * asked for while one runs is that one (two at once could move the position past changes neither delivered).
   */
  let polling: Promise<void> | null = null;
  function poll(): Promise<void> {
    polling ??= readOnce().finally(() => {
      polling = null;
    });
    return polling;
  }

  async function readOnce(): Promise<void> {
    try {
      const page = await read(position, [0n, 0n], null);
      position = page.position;
      if (page.changes.length > 0) for (const subscriber of subscribers) subscriber.deliver(page.changes);
      for (const subscriber of subscribers) {
        if (await closedAccounts.isClosed(subscriber.viewer.id)) {
          subscribers.delete(subscriber);
          subscriber.end(userError('UNAUTHENTICATED', 'this account is closed: its subscriptions have ended'));
        }
      }
      if (failing) log.info('order events: reading changes again');
      failing = false;
    } catch (error) {
      if (!failing) log.warn({ err: error }, 'order events: cannot read changes; retrying');
      failing = true;
    }
  }

  function startPolling(): void {
    if (cancelPolling) return;
    cancelPolling = every(() => void poll(), intervalMs);
  }

  function stopPollingWhenIdle(): void {
    if (subscribers.size > 0 || !cancelPolling) return;
    cancelPolling();
    cancelPolling = undefined;
    position = null; // a reader that starts again starts at the present
  }

  /**
   * The changes `viewer` may see (their own orders; every order for an admin asking for all), after `after` when
   * given (else from now), as events, until the subscription is ended or the account is closed.
   */
  function subscribe(viewer: Viewer, { after, allOrders }: { after: string | null; allOrders: boolean }) {
    const resumeAt = after === null ? null : parseSequence(after);
    const visible = (row: ChangedOrderRow) => (allOrders && viewer.role === 'ADMIN') || row.user_id === viewer.id;
    return new Repeater<OrderEvent | EndOfEvents>(async (push, stop) => {
      let last: [bigint, bigint] = resumeAt ?? [0n, 0n];
      /** Live changes that came while the missed ones were read: delivered after those. */
      let waiting: OrderChange[] | null = resumeAt ? [] : null;
      /** Changes come in log order; each is delivered once, in that order (loading orders may interleave). */
      let delivering = Promise.resolve();
      const deliver = (changes: OrderChange[]) => {
        const fresh = changes.filter(({ txid, seq, row }) => isAfter(txid, seq, last) && visible(row));
        if (fresh.length === 0) return;
        const newest = fresh[fresh.length - 1] as OrderChange;
        last = [newest.txid, newest.seq];
        delivering = delivering.then(async () => {
          const current = new Map(
            (await ordersByIds(fresh.map(({ row }) => row.id))).map((order) => [order.id, order]),
          );
          for (const { txid, seq, row } of fresh) {
            const order = current.get(row.id);
            // The order's state at this change; its items do not change after it is placed.
            if (order) {
              const state = { ...order, status: row.status, cancelReason: row.cancel_reason };
              await push({ sequence: `${txid}.${seq}`, order: state });
            }
          }
        });
        delivering.catch((error: unknown) => stop(error));
      };
      /** Ends the subscription with an error its last event carries. */
      const end = (error: Error) => {
        delivering = delivering
          .then(async () => {
            await push({ error });
          })
          .finally(() => stop());
      };
      const subscriber: Subscriber = {
        viewer,
        allOrders,
        deliver: (changes) => (waiting ? waiting.push(...changes) : deliver(changes)),
        end,
      };
      if (position === null) await poll();
      if (position === null) {
        // The database did not answer: no position to start from that could be vouched for.
        end(userError('SERVICE_UNAVAILABLE', "the orders service's database is unavailable; subscribe again shortly"));
        await stop;
        return;
      }
      // From here live changes come to this subscriber; the missed ones are read up to where the live reader
      // stands (no await in between), so the two meet with no gap.
      subscribers.add(subscriber);
      startPolling();
      try {
        if (resumeAt) {
          const missed = await read(resumeAt[0], resumeAt, position);
          if (resumeAt[0] < missed.prunedBefore) {
            end(userError('BAD_USER_INPUT', 'changes that old are no longer kept: subscribe again without `after`'));
          } else {
            deliver(missed.changes);
            deliver(waiting ?? []);
          }
          waiting = null;
        }
        await stop;
      } finally {
        subscribers.delete(subscriber);
        stopPollingWhenIdle();
      }
    });
  }

  return { subscribe, stop: () => cancelPolling?.() };
}

function parseSequence(sequence: string): [bigint, bigint] {
  const match = SEQUENCE.exec(sequence);
  if (!match) {
    throw userError('BAD_USER_INPUT', '`after` must be the sequence of an event this subscription sent', {
      field: 'after',
    });
  }
  return [BigInt(match[1] as string), BigInt(match[2] as string)];
}

/** Whether the change (txid, seq) comes after `last` in the log. */
const isAfter = (txid: bigint, seq: bigint, [lastTxid, lastSeq]: [bigint, bigint]) =>
  txid > lastTxid || (txid === lastTxid && seq > lastSeq);

export type OrderEvents = ReturnType<typeof createOrderEvents>;
