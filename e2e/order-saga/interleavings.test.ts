import { randomUUID } from 'node:crypto';
import { createProductsClient } from '@shop/orders/products-client';
import { createOrderRepository } from '@shop/orders/repository';
import { createPlaceOrderSaga } from '@shop/orders/saga';
import { createLogger } from '@shop/platform';
import { SubgraphUnavailable } from '@shop/subgraph-runtime';
import { databaseKind } from '@shop/subgraph-runtime/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SqlClient, type Supergraph, startSupergraph } from '../harness/supergraph.js';

/**
 * The saga under explored interleavings, not lucky timing: fast-check's scheduler decides, step by step, which
 * worker goes next — placing orders (some retried with the same key by a second replica at the same time),
 * cancelling them (twice at once), shipping, sweeps as if on several replicas — against the real orders database
 * and the real products service over HTTP. Products calls may be refused or lose their answer, and a worker may
 * crash at any step. Every answer given to a caller is recorded. After each run every claim is expired (time
 * passing), a sweep settles what is left, and both the stock and the promises are checked. Each `npm test`
 * explores a fixed seed (the same schedules in every CI run) and a new random one, printed; replay a failure
 * with SAGA_SEED (and SAGA_PATH).
 */
const RUNS = Number(process.env.SAGA_RUNS ?? 50);
const FIXED_SEED = 20_261_204;
const SEEDS = process.env.SAGA_SEED
  ? [Number(process.env.SAGA_SEED)]
  : [FIXED_SEED, Math.floor(Math.random() * 2 ** 31)];
const PATH = process.env.SAGA_PATH;
const INITIAL_STOCK = 4;

let supergraph: Supergraph;
let admin: string;

beforeAll(async () => {
  supergraph = await startSupergraph();
  admin = await supergraph.logInAs('admin');
});
afterAll(() => supergraph?.close());

/** A worker that crashed does nothing more: every later call fails without effect. */
class Crashed extends Error {}

type Fault = 'pass' | 'refuse' | 'lose-answer';

/** Which worker does what in one run, all chosen by fast-check. */
const runArbitrary = fc.record({
  scheduler: fc.scheduler(),
  placements: fc.array(
    fc.record({
      quantity: fc.integer({ min: 1, max: 3 }),
      // An expired claim from the start: the placement is "slower than ORDER_PENDING_TIMEOUT_SECONDS".
      slow: fc.boolean(),
      crashAfter: fc.option(fc.integer({ min: 1, max: 8 }), { freq: 3 }),
      // The customer's retry with the same key, sent to another replica while the first attempt still runs.
      retried: fc.boolean(),
    }),
    { minLength: 1, maxLength: 3 },
  ),
  cancellations: fc.array(fc.record({ target: fc.nat(), crashAfter: fc.option(fc.integer({ min: 1, max: 4 })) }), {
    maxLength: 3,
  }),
  ship: fc.boolean(),
  sweeps: fc.integer({ min: 1, max: 3 }),
  faults: fc.array(fc.constantFrom<Fault>('pass', 'pass', 'pass', 'refuse', 'lose-answer'), {
    minLength: 40,
    maxLength: 40,
  }),
});

type Run = typeof runArbitrary extends fc.Arbitrary<infer Value> ? Value : never;
const slowPlacementAndSweep: fc.Arbitrary<Run> = fc.record({
  scheduler: fc.scheduler(),
  placements: fc.constant([{ quantity: 1, slow: true, crashAfter: null, retried: false }]),
  cancellations: fc.constant([]),
  ship: fc.constant(false),
  sweeps: fc.constant(1),
  faults: fc.constant<Fault[]>(Array(40).fill('pass')),
});

describe.each(SEEDS)(`the order saga under explored interleavings on ${databaseKind}, seed %i`, (SEED) => {
  it('keeps initial stock = stock + units in CONFIRMED/SHIPPED orders, nothing left open, and every answer true', async () => {
    const ordersDb = supergraph.prisma.orders as SqlClient;
    const productsDb = supergraph.prisma.products as SqlClient;
    const realRepository = createOrderRepository(supergraph.prisma.orders as never, supergraph.reads.orders as never);
    const realProducts = createProductsClient(supergraph.subgraphUrls.products, supergraph.internalToken);
    const log = createLogger('saga-test', 'silent');
    let runs = 0;
    console.info(`saga interleavings: seed ${SEED}, ${RUNS} runs (replay: SAGA_SEED=${SEED})`);

    const explore = async ({ scheduler, placements, cancellations, ship, sweeps, faults }: Run) => {
      runs++;
      const productId = await newProduct(INITIAL_STOCK);
      const userId = randomUUID();
      // Real calls in flight: the driver below waits for them before releasing the next step.
      let inFlight = 0;
      let productsCalls = 0;

      /**
       * Every method call of `target` becomes a step the scheduler releases, then runs for real. A worker's
       * calls (database and products alike) share one count, and after `crashAfter` of them it is dead.
       */
      function scheduled<T extends object>(
        worker: string,
        target: T,
        life: { calls: number; crashAfter: number | null },
        faulty: boolean,
      ) {
        return new Proxy(target, {
          get(object, key) {
            const member = Reflect.get(object, key);
            if (typeof member !== 'function') return member;
            return async (...args: unknown[]) => {
              await scheduler.schedule(Promise.resolve(), `${worker}.${String(key)}`);
              if (life.crashAfter !== null && ++life.calls > life.crashAfter) throw new Crashed(`${worker} crashed`);
              const fault: Fault = faulty ? (faults[productsCalls++ % faults.length] ?? 'pass') : 'pass';
              if (fault === 'refuse') throw new SubgraphUnavailable('refused (test)');
              inFlight++;
              try {
                const result = await member.apply(object, args);
                if (fault === 'lose-answer') throw new SubgraphUnavailable('answer lost (test)');
                return result;
              } finally {
                inFlight--;
              }
            };
          },
        });
      }
      const worker = (name: string, options: { crashAfter?: number | null; claimMs?: number } = {}) => {
        const life = { calls: 0, crashAfter: options.crashAfter ?? null };
        return createPlaceOrderSaga({
          repository: scheduled(name, realRepository, life, false),
          products: scheduled(name, realProducts, life, true),
          log,
          workerId: name,
          claimMs: options.claimMs ?? 60_000,
          duplicateWait: { totalMs: 0, everyMs: 1 }, // a waiting retry would only spin the scheduler
        });
      };
      /** A step of the test itself (reading which orders exist), released by the scheduler like the rest. */
      const testStep = async <T>(label: string, work: () => Promise<T>) => {
        await scheduler.schedule(Promise.resolve(), label);
        inFlight++;
        try {
          return await work();
        } finally {
          inFlight--;
        }
      };

      // One order confirmed before the race, for cancellations and shipping to act on.
      const settledBefore = await createPlaceOrderSaga({
        repository: realRepository,
        products: realProducts,
        log,
        workerId: 'before',
        claimMs: 60_000,
      }).place({ userId, items: [{ productId, quantity: 1 }], idempotencyKey: null, requestId: `before-${runs}` });
      const ordersOfRun = async () =>
        (
          await ordersDb.$queryRawUnsafe<{ id: string }[]>(
            `SELECT o.id::text AS id FROM orders o JOIN order_items i ON i.order_id = o.id
               WHERE i.product_id = $1::uuid ORDER BY o.number`,
            productId,
          )
        ).map((row) => row.id);

      const tasks: Promise<unknown>[] = [];
      /** Every answer a caller got: the order placeOrder answered, or the error it threw. */
      const answers: Answer[] = [];
      /** Orders a customer asked to cancel: the only ones a CONFIRMED answer may end CANCELLED. */
      const cancelAsked = new Set<string>();
      const recorded = (key: string, attempt: Promise<{ id: string; status: string }>) =>
        attempt.then(
          (order) => answers.push({ key, order }),
          (error: unknown) => {
            if (!(error instanceof Crashed)) answers.push({ key, code: codeOf(error) });
            throw error;
          },
        );
      placements.forEach((placement, index) => {
        const key = `place-${runs}-${index}`;
        const items = [{ productId, quantity: placement.quantity }];
        const saga = worker(`place-${index}`, {
          crashAfter: placement.crashAfter,
          claimMs: placement.slow ? -1 : 60_000,
        });
        tasks.push(recorded(key, saga.place({ userId, items, idempotencyKey: key, requestId: key })));
        if (placement.retried) {
          const replica = worker(`replica-b-${index}`);
          tasks.push(recorded(key, replica.place({ userId, items, idempotencyKey: key, requestId: `${key}-again` })));
        }
      });
      cancellations.forEach((cancellation, index) => {
        const saga = worker(`cancel-${index}`, { crashAfter: cancellation.crashAfter });
        tasks.push(
          (async () => {
            // Whichever order of this run exists when this step is released: a customer's click.
            const order = await testStep(`cancel-${index}.look`, async () => {
              const ids = await ordersOfRun();
              return (await realRepository.findOrdersByIds([ids[cancellation.target % ids.length] as string]))[0];
            });
            if (order && (order.status === 'PENDING' || order.status === 'CONFIRMED')) {
              cancelAsked.add(order.id);
              await saga.cancel(order, 'cancelled by the customer', `cancel-${runs}-${index}`);
            }
          })(),
        );
      });
      if (ship) tasks.push(worker('ship').ship(settledBefore, `ship-${runs}`));
      for (let index = 0; index < sweeps; index++) tasks.push(worker(`sweep-${index}`).recover());
      const outcomes = Promise.allSettled(tasks);

      // One step at a time: release a step, let its real call finish and its worker reach the next step.
      for (let steps = 0; steps < 500; steps++) {
        await settleIo(() => inFlight);
        if (scheduler.count() === 0) break;
        await scheduler.waitOne();
      }
      for (const outcome of await outcomes) {
        if (outcome.status === 'rejected' && !isExpected(outcome.reason)) throw outcome.reason;
      }

      // Time passes: every claim expires, and the sweep settles what crashed workers left.
      await ordersDb.$executeRawUnsafe(
        `UPDATE orders SET claimed_until = NULL WHERE id IN (SELECT order_id FROM order_items WHERE product_id = $1::uuid)`,
        productId,
      );
      const sweeper = createPlaceOrderSaga({
        repository: realRepository,
        products: realProducts,
        log,
        workerId: 'quiet',
        claimMs: 60_000,
      });
      for (let round = 0; round < 3; round++) await sweeper.recover();

      await expectInvariant(productId, await ordersOfRun());
      await expectAnswersTrue(userId, answers, cancelAsked);
    };
    await fc.assert(fc.asyncProperty(runArbitrary, explore), {
      numRuns: RUNS,
      seed: SEED,
      ...(PATH ? { path: PATH } : {}),
      endOnFailure: true,
      verbose: 1,
    });
    // The race that matters most, alone so the scheduler meets it often: a placement slower than its claim and a
    // sweep that takes it over — the sweep may read "no reservation" just before the placer reserves and confirms.
    await fc.assert(fc.asyncProperty(slowPlacementAndSweep, explore), { numRuns: 30, seed: SEED, endOnFailure: true });
    console.info(`saga interleavings: ${runs} runs passed on ${databaseKind} (seed ${SEED})`);

    /**
     * What callers were told still holds: a CONFIRMED answer's order is CONFIRMED or SHIPPED unless a customer
     * asked to cancel it; a refusal's order took no stock (given up and released); two final answers for one key
     * agree; and one key never made two orders.
     */
    async function expectAnswersTrue(userId: string, answers: Answer[], cancelAsked: Set<string>) {
      for (const answer of answers) {
        const order = await realRepository.findOrderByIdempotencyKey(userId, answer.key);
        const context = JSON.stringify({ answer, order: order && { status: order.status, stock: order.stockState } });
        if (answer.order?.status === 'CONFIRMED') {
          expect(order?.id, context).toBe(answer.order.id);
          if (!cancelAsked.has(answer.order.id)) expect(['CONFIRMED', 'SHIPPED'], context).toContain(order?.status);
        }
        if (answer.code && answer.code !== 'SERVICE_UNAVAILABLE') {
          expect(FINAL_REFUSALS, context).toContain(answer.code);
          if (order) expect([order.status, order.stockState], context).toEqual(['CANCELLED', 'RELEASED']);
        }
      }
      const byKey = new Map<string, Answer[]>();
      for (const answer of answers.filter((each) => each.order || each.code !== 'SERVICE_UNAVAILABLE')) {
        byKey.set(answer.key, [...(byKey.get(answer.key) ?? []), answer]);
      }
      for (const [key, finals] of byKey) {
        const outcomes = new Set(finals.map((answer) => answer.code ?? `${answer.order?.id}`));
        expect(outcomes.size, `${key}: ${JSON.stringify(finals)}`).toBe(1);
      }
    }

    async function expectInvariant(productId: string, orderIds: string[]) {
      const orders = await ordersDb.$queryRawUnsafe<
        { id: string; status: string; stock_state: string; failure_code: string | null }[]
      >(
        `SELECT id::text AS id, status::text AS status, stock_state::text AS stock_state, failure_code FROM orders
         WHERE id = ANY($1::uuid[])`,
        orderIds,
      );
      const [{ units } = { units: 0 }] = await ordersDb.$queryRawUnsafe<{ units: number | bigint }[]>(
        `SELECT COALESCE(SUM(i.quantity), 0) AS units FROM order_items i JOIN orders o ON o.id = i.order_id
         WHERE i.product_id = $1::uuid AND o.status IN ('CONFIRMED', 'SHIPPED')`,
        productId,
      );
      const [{ stock } = { stock: Number.NaN }] = await productsDb.$queryRawUnsafe<{ stock: number }[]>(
        'SELECT stock FROM products WHERE id = $1::uuid',
        productId,
      );
      const reservations = await productsDb.$queryRawUnsafe<{ order_id: string; status: string }[]>(
        'SELECT order_id::text AS order_id, status::text AS status FROM stock_reservations WHERE order_id = ANY($1::uuid[])',
        orderIds,
      );
      const reservationOf = new Map(reservations.map((row) => [row.order_id, row.status]));
      const state = { stock, units: Number(units), orders, reservations };
      expect(stock, JSON.stringify(state)).toBeGreaterThanOrEqual(0);
      expect(stock + Number(units), JSON.stringify(state)).toBe(INITIAL_STOCK);
      for (const order of orders) {
        // Orders and products agree, and nothing is left PENDING or RESERVED.
        const expected = {
          CONFIRMED: ['COMMITTED', 'COMMITTED'],
          SHIPPED: ['COMMITTED', 'COMMITTED'],
          CANCELLED: [order.stock_state, order.stock_state],
        }[order.status] ?? ['settled', 'settled'];
        expect([order.stock_state, reservationOf.get(order.id)], JSON.stringify(state)).toEqual(expected);
        expect(['RESERVED', 'UNKNOWN']).not.toContain(order.stock_state);
        // Given up (a refusal, or the sweep) only ever while PENDING: released, never a confirmed order returned.
        if (order.failure_code) expect(order.stock_state, JSON.stringify(state)).toBe('RELEASED');
      }
    }
  });
});

/** Refusals that are final for their key: the same answer forever, and nothing taken. */
const FINAL_REFUSALS = ['OUT_OF_STOCK', 'ORDER_NOT_PLACED'];
/** One answer a caller got for an idempotency key: the order, or an error's code. */
interface Answer {
  key: string;
  order?: { id: string; status: string };
  code?: string;
}
const codeOf = (error: unknown) => (error as { extensions?: { code?: string } }).extensions?.code ?? 'NONE';

/** What a client may legitimately get back: a coded GraphQL error (or a crash we caused on purpose). */
function isExpected(error: unknown): boolean {
  if (error instanceof Crashed) return true;
  return [...FINAL_REFUSALS, 'SERVICE_UNAVAILABLE', 'CONFLICT'].includes(codeOf(error));
}

/** Waits until no real call is in flight and the workers have run up to their next scheduled step. */
async function settleIo(inFlight: () => number) {
  do {
    while (inFlight() > 0) await new Promise((resolve) => setTimeout(resolve, 1));
    for (let tick = 0; tick < 3; tick++) await new Promise((resolve) => setImmediate(resolve));
  } while (inFlight() > 0);
}

const newProduct = async (stock: number) =>
  (await supergraph.createProduct(admin, { name: 'Race product', stock, price: 300 })).id;
