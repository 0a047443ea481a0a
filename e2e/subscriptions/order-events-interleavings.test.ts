import { createOrderEvents, type OrderEvent } from '@shop/orders/events';
import { createLogger, type Viewer } from '@shop/platform';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

/**
 * The orders' event reader under explored interleavings (fast-check's scheduler decides when each database
 * answer arrives): transactions commit out of the order they began in, the reader polls at any moment,
 * subscriptions resume from any sequence while changes commit and polls are in flight. Whatever the order, each
 * subscription gets every change after its resume point, once, in log order: the catch-up read and the live
 * reader meet with no gap and no repeat.
 *
 * The database is a model of the change log's rules: a change is seen once its transaction commits; a read
 * sees changes below the snapshot horizon (the oldest transaction still open), as `pg_snapshot_xmin` gives it.
 */
interface Change {
  txid: bigint;
  seq: bigint;
  orderId: string;
}

const viewer: Viewer = { id: 'u-1', role: 'CUSTOMER' } as Viewer;
const key = ({ txid, seq }: { txid: bigint; seq: bigint }) => `${txid}.${seq}`;
const isAfter = (change: Change, [txid, seq]: [bigint, bigint]) =>
  change.txid > txid || (change.txid === txid && change.seq > seq);

const action = fc.oneof(
  fc.constant({ kind: 'begin' as const }),
  fc.record({ kind: fc.constant('commit' as const), which: fc.nat() }),
  fc.constant({ kind: 'poll' as const }),
  fc.record({ kind: fc.constant('subscribe' as const), from: fc.nat() }),
);

describe('order events under explored interleavings', () => {
  it('give each subscription every change after its resume point, once, in order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.array(action, { minLength: 5, maxLength: 40 }), async (s, actions) => {
        let nextTxid = 10n;
        let nextSeq = 1n;
        const open: bigint[] = [];
        const committed: Change[] = [];
        // biome-ignore lint/complexity/useMathMinMax: transaction ids are bigints, which Math.min does not take
        const horizon = () => (open.length > 0 ? open.reduce((a, b) => (a < b ? a : b)) : nextTxid);
        const prisma = {
          $queryRawUnsafe: <T>(_sql: string, ...params: unknown[]): Promise<T> => {
            const [since, afterTxid, afterSeq, below] = params as [string | null, string, string, string | null];
            const position = horizon();
            const limit = below === null ? position : BigInt(below);
            const changes =
              since === null
                ? []
                : committed
                    .filter(
                      (change) =>
                        change.txid >= BigInt(since) &&
                        isAfter(change, [BigInt(afterTxid), BigInt(afterSeq)]) &&
                        change.txid < limit,
                    )
                    .sort((a, b) => (a.txid === b.txid ? Number(a.seq - b.seq) : Number(a.txid - b.txid)))
                    .map((change) => [
                      String(change.txid),
                      String(change.seq),
                      { id: change.orderId, user_id: viewer.id, status: 'CONFIRMED', cancel_reason: null },
                    ]);
            // The snapshot is taken now; the answer arrives when the scheduler says.
            const answer = [{ position: String(position), prunedBefore: '0', changes }] as T;
            return s.schedule(Promise.resolve(answer), 'read changes');
          },
        };
        const ticks: (() => void)[] = [];
        const events = createOrderEvents({
          prisma,
          ordersByIds: (ids) =>
            s.schedule(
              Promise.resolve(ids.map((id) => ({ id, userId: viewer.id, items: [] }) as never)),
              'load orders',
            ),
          closedAccounts: { isClosed: () => false } as never,
          intervalMs: 1,
          log: createLogger('order-events-test', 'silent'),
          every: (run) => {
            ticks.push(run);
            return () => ticks.splice(ticks.indexOf(run), 1);
          },
        });
        const subscriptions: { from: [bigint, bigint]; received: string[]; done: Promise<void> }[] = [];
        const subscribe = (from: [bigint, bigint]) => {
          const received: string[] = [];
          const stream = events.subscribe(viewer, { after: `${from[0]}.${from[1]}`, allOrders: false });
          const done = (async () => {
            for await (const event of stream) received.push((event as OrderEvent).sequence);
          })();
          subscriptions.push({ from, received, done });
          return stream;
        };
        const streams = [subscribe([0n, 0n])];

        for (const step of actions) {
          if (step.kind === 'begin') open.push(nextTxid++);
          else if (step.kind === 'commit' && open.length > 0) {
            const [txid] = open.splice(step.which % open.length, 1) as [bigint];
            for (let count = 0; count < 2; count++) committed.push({ txid, seq: nextSeq++, orderId: `o-${txid}` });
          } else if (step.kind === 'poll') for (const tick of [...ticks]) tick();
          else if (step.kind === 'subscribe') {
            // Resume from a change some subscription has already received (or from the start).
            const seen = subscriptions.flatMap(({ received }) => received);
            const from = seen.length > 0 ? (seen[step.from % seen.length] as string) : '0.0';
            const [txid, seq] = from.split('.').map(BigInt) as [bigint, bigint];
            streams.push(subscribe([txid, seq]));
          }
          if (s.count() > 0) await s.waitOne();
        }
        // Everything commits; the reader polls until it has read past every change.
        for (const txid of open.splice(0)) committed.push({ txid, seq: nextSeq++, orderId: `o-${txid}` });
        const settle = async () => {
          // A continuation may schedule more (a load after a read) once a turn has passed: until none comes.
          do {
            await s.waitAll();
            await new Promise((resolve) => setTimeout(resolve, 0));
          } while (s.count() > 0);
        };
        for (let round = 0; round < 3; round++) {
          await settle();
          for (const tick of [...ticks]) tick();
        }
        await settle();
        for (const stream of streams) await stream.return();
        await s.waitAll();
        await Promise.all(subscriptions.map(({ done }) => done));

        const inOrder = [...committed].sort((a, b) =>
          a.txid === b.txid ? Number(a.seq - b.seq) : Number(a.txid - b.txid),
        );
        for (const { from, received } of subscriptions) {
          expect(received).toEqual(inOrder.filter((change) => isAfter(change, from)).map(key));
        }
      }),
      { numRuns: 300 },
    );
  });
});
