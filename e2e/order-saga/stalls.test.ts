import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase, databaseKind, type TestDatabase } from '@shop/subgraph-runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCpuLoad } from '../harness/cpu-load.js';
import { type SubgraphProcess, startSubgraphProcess, until } from '../harness/subgraph-process.js';
import { type Supergraph, startSupergraph } from '../harness/supergraph.js';

/**
 * A participant that stalls, as a long GC pause or a frozen VM would: the products process is paused
 * (SIGSTOP 1.2 s) and resumed (SIGCONT 0.4 s) over and over, with every CPU busy, while 60 customers order
 * the last 10 units through the router, a third of the winners cancel twice at once, and the orders service
 * sweeps every second with a 1 s pending timeout. Afterwards no unit exists twice and nothing is left open.
 */
let supergraph: Supergraph;
let products: SubgraphProcess | undefined;
let orders: SubgraphProcess | undefined;
const databases: TestDatabase[] = [];
const dataDir = mkdtempSync(path.join(tmpdir(), 'shop-stalls-'));
let routerUrl: string;
let admin: string;
let ada: string;

beforeAll(async () => {
  supergraph = await startSupergraph();
  const common = {
    DATA_DIR: dataDir,
    JWT_PUBLIC_KEY: supergraph.keys.publicPem,
    INTERNAL_API_TOKEN: supergraph.internalToken,
    USERS_URL: supergraph.subgraphUrls.users,
  };
  const urlFor = async (service: string) => {
    const database = await createTestDatabase(`stalls_${service}`);
    databases.push(database);
    return database.location.kind === 'postgres' ? database.location.url : `pglite:${path.join(dataDir, service)}`;
  };
  products = await startSubgraphProcess('products', { ...common, PRODUCTS_DATABASE_URL: await urlFor('products') });
  orders = await startSubgraphProcess('orders', {
    ...common,
    ORDERS_DATABASE_URL: await urlFor('orders'),
    PRODUCTS_URL: products.url,
    ORDER_PENDING_TIMEOUT_SECONDS: '1',
    ORDER_RECOVERY_INTERVAL_SECONDS: '1',
  });
  routerUrl = (await supergraph.startRouter({ PRODUCTS_URL: products.url, ORDERS_URL: orders.url })).url;
  [admin, ada] = await Promise.all([supergraph.logInAs('admin'), supergraph.logInAs('ada')]);
});

afterAll(async () => {
  await orders?.stop();
  await products?.stop();
  for (const database of databases) await database.drop();
  rmSync(dataDir, { recursive: true, force: true });
  await supergraph?.close();
});

const call = <Data>(query: string, variables: Record<string, unknown>, token: string) =>
  supergraph.request<Data>(query, variables, { token, url: routerUrl });

/** Pauses and resumes a process in a loop until stopped; always leaves it running. */
function stallRepeatedly(pid: number, pausedMs: number, runningMs: number) {
  let stopped = false;
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const loop = (async () => {
    let pauses = 0;
    while (!stopped) {
      process.kill(pid, 'SIGSTOP');
      pauses++;
      await sleep(pausedMs);
      process.kill(pid, 'SIGCONT');
      await sleep(runningMs);
    }
    return pauses;
  })();
  return {
    stop: async () => {
      stopped = true;
      const pauses = await loop;
      process.kill(pid, 'SIGCONT');
      return pauses;
    },
  };
}

describe(`a stalling products service on ${databaseKind}`, () => {
  it('sells no unit twice and settles every order when products keeps freezing and the CPUs are busy', async () => {
    const created = await call<{ createProduct: { id: string } }>(
      'mutation ($input: CreateProductInput!) { createProduct(input: $input) { id } }',
      {
        input: { sku: 'STALL-1', name: 'Stall', description: 'd', price: { amount: 100, currency: 'EUR' }, stock: 10 },
      },
      admin,
    );
    const productId = created.body.data?.createProduct.id as string;
    expect(productId).toBeTruthy();

    const load = startCpuLoad();
    const stalls = stallRepeatedly(products?.pid as number, 1200, 400);
    let pauses = 0;
    let winners: string[] = [];
    let cancelled: string[] = [];
    const answers: Record<string, number> = {};
    try {
      // Each customer keeps their key until the answer is final, as the API says: SERVICE_UNAVAILABLE ("may
      // still take effect") is retried with the same key; ORDER_NOT_PLACED (given up, nothing charged) with a
      // new one; CONFIRMED and OUT_OF_STOCK are final.
      const buy = async (buyer: number) => {
        for (let attempt = 0, key = `stall-${buyer}-0`; attempt < 200; attempt++) {
          const response = await call<{ placeOrder: { id: string; status: string } }>(
            'mutation ($items: [OrderItemInput!]!, $key: String) { placeOrder(input: { items: $items }, idempotencyKey: $key) { id status } }',
            { items: [{ productId, quantity: 1 }], key },
            ada,
          );
          // Every answer is an order or a coded error; never a crash or a 500.
          expect(response.status).toBeLessThan(500);
          const answer = response.body.data?.placeOrder.status ?? String(response.body.errors?.[0]?.extensions?.code);
          answers[answer] = (answers[answer] ?? 0) + 1;
          expect(['CONFIRMED', 'OUT_OF_STOCK', 'SERVICE_UNAVAILABLE', 'ORDER_NOT_PLACED']).toContain(answer);
          if (answer === 'CONFIRMED') return response.body.data?.placeOrder.id as string;
          if (answer === 'OUT_OF_STOCK') return null;
          if (answer === 'ORDER_NOT_PLACED') key = `stall-${buyer}-${attempt + 1}`;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
        throw new Error(`buyer ${buyer} never got a final answer`);
      };
      winners = (await Promise.all(Array.from({ length: 60 }, (_, buyer) => buy(buyer)))).filter(
        (id): id is string => id !== null,
      );
      const cancel = (id: string) => call('mutation ($id: ID!) { cancelOrder(id: $id) { status } }', { id }, ada);
      cancelled = winners.slice(0, Math.ceil(winners.length / 3));
      const cancels = await Promise.all(cancelled.flatMap((id) => [cancel(id), cancel(id)]));
      // A cancel is retried until it answers (it is idempotent), as a client would.
      for (const [index, response] of cancels.entries()) {
        let answer = response;
        for (let retry = 0; retry < 50 && answer.body.errors; retry++) {
          await new Promise((resolve) => setTimeout(resolve, 200));
          answer = await cancel(cancelled[Math.floor(index / 2)] as string);
        }
        expect(answer.body.errors).toBeUndefined();
      }
    } finally {
      pauses = await stalls.stop();
      await load.stop();
    }
    // Exactly the stock was sold, whatever the stalls did.
    expect(winners).toHaveLength(10);
    expect(pauses).toBeGreaterThan(0);

    // Once quiet, the sweep settles everything: no PENDING order, no reservation left RESERVED.
    type Order = { id: string; status: string; items: { quantity: number; product: { id: string } }[] };
    const ordersOfProduct = async () =>
      (
        (
          await call<{ orders: { edges: { node: Order }[] } }>(
            '{ orders(first: 100) { edges { node { id status items { quantity product { id } } } } } }',
            {},
            admin,
          )
        ).body.data?.orders.edges.map((edge) => edge.node) ?? []
      ).filter((order) => order.items.some((item) => item.product.id === productId));
    const reservationOf = async (orderId: string) => {
      const response = await fetch(products?.url as string, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-internal-token': supergraph.internalToken },
        body: JSON.stringify({
          query: 'query ($id: ID!) { stockReservation(orderId: $id) }',
          variables: { id: orderId },
        }),
      });
      return ((await response.json()) as { data: { stockReservation: string | null } }).data.stockReservation;
    };
    await until(async () => {
      const all = await ordersOfProduct();
      if (all.some((order) => order.status === 'PENDING')) return false;
      const reservations = await Promise.all(all.map((order) => reservationOf(order.id)));
      return !reservations.includes('RESERVED');
    }, 60_000);

    const all = await ordersOfProduct();
    const stock = (
      await call<{ product: { stock: number } }>(
        'query ($id: ID) { product(id: $id) { stock } }',
        { id: productId },
        admin,
      )
    ).body.data?.product.stock as number;
    const confirmedUnits = all
      .filter((order) => order.status === 'CONFIRMED')
      .flatMap((order) => order.items)
      .reduce((sum, item) => sum + item.quantity, 0);
    console.info(
      `stalls on ${databaseKind}: ${pauses} pauses, ${all.length} orders stored, ${confirmedUnits} units confirmed, stock ${stock}`,
    );
    console.info(`stalls on ${databaseKind}: answers ${JSON.stringify(answers)}`);
    expect(stock + confirmedUnits).toBe(10);
    expect(stock).toBe(cancelled.length);
    // What each customer was told holds: the winners who did not cancel are CONFIRMED, the others CANCELLED.
    const statusOf = new Map(all.map((order) => [order.id, order.status]));
    for (const id of winners) expect(statusOf.get(id)).toBe(cancelled.includes(id) ? 'CANCELLED' : 'CONFIRMED');
    // Orders and products agree on every order.
    for (const order of all) {
      const reservation = await reservationOf(order.id);
      if (order.status === 'CONFIRMED') expect(reservation).toBe('COMMITTED');
      else expect(['RELEASED', 'RETURNED']).toContain(reservation);
    }
  });
});
