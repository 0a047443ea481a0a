import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase, databaseKind } from '@shop/subgraph-runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCpuLoad } from '../harness/cpu-load.js';
import { startFaultProxy } from '../harness/fault-proxy.js';
import { type SubgraphProcess, startSubgraphProcess, until } from '../harness/subgraph-process.js';
import { errorCodes, type SqlClient, type Supergraph, startSupergraph } from '../harness/supergraph.js';

/**
 * placeOrder across two databases. The invariant checked after every scenario, for every product:
 * initial stock = stock now + units in CONFIRMED orders, and no reservation is left open.
 */
let supergraph: Supergraph;
let admin: string;
let ada: string;

beforeAll(async () => {
  supergraph = await startSupergraph();
  [admin, ada] = await Promise.all([supergraph.logInAs('admin'), supergraph.logInAs('ada')]);
});
afterAll(() => supergraph?.close());

const productsDb = () => supergraph.prisma.products as SqlClient;
const ordersDb = () => supergraph.prisma.orders as SqlClient;
const codes = errorCodes;

const newProduct = async (stock: number) => (await supergraph.createProduct(admin, { name: 'Saga product', stock })).id;

const PLACE = `mutation ($items: [OrderItemInput!]!, $key: String) {
  placeOrder(input: { items: $items }, idempotencyKey: $key) { id status cancelReason total { amount } }
}`;
const place = (productId: string, quantity = 1, key?: string, token = ada) =>
  supergraph.request<{ placeOrder: { id: string; status: string } }>(
    PLACE,
    { items: [{ productId, quantity }], key },
    { token },
  );

async function stockOf(productId: string): Promise<number> {
  const [row] = await productsDb().$queryRawUnsafe<{ stock: number }[]>(
    'SELECT stock FROM products WHERE id = $1::uuid',
    productId,
  );
  return row?.stock ?? Number.NaN;
}

/** Reservations of the product still RESERVED: none once every order is settled. */
async function openReservations(productId: string): Promise<number> {
  const [open] = await productsDb().$queryRawUnsafe<{ open: bigint | number }[]>(
    `SELECT COUNT(*) AS open FROM stock_reservations r JOIN stock_reservation_items i ON i.order_id = r.order_id
     WHERE i.product_id = $1::uuid AND r.status = 'RESERVED'`,
    productId,
  );
  return Number(open?.open);
}

/** Units of the product in CONFIRMED (or SHIPPED) orders, and reservations still open for it. */
async function expectInvariant(productId: string, initialStock: number) {
  const [confirmed] = await ordersDb().$queryRawUnsafe<{ units: bigint | number | null }[]>(
    `SELECT COALESCE(SUM(i.quantity), 0) AS units FROM order_items i JOIN orders o ON o.id = i.order_id
     WHERE i.product_id = $1::uuid AND o.status IN ('CONFIRMED', 'SHIPPED')`,
    productId,
  );
  const stock = await stockOf(productId);
  expect(stock).toBeGreaterThanOrEqual(0);
  expect(stock + Number(confirmed?.units ?? 0)).toBe(initialStock);
  expect(await openReservations(productId)).toBe(0);
  return { stock, confirmedUnits: Number(confirmed?.units ?? 0) };
}

/**
 * Every scenario twice: on an idle machine, then with every core busy (a bounded busy process per core), where
 * the interleavings that timing hides on an idle machine happen.
 */
for (const loaded of [false, true]) {
  const conditions = loaded ? 'every CPU busy' : 'idle CPUs';
  /** Idempotency keys are per user: each pass uses its own. */
  const key = (name: string) => `${name}-${loaded ? 'loaded' : 'idle'}`;
  describe(conditions, () => {
    let load: ReturnType<typeof startCpuLoad> | undefined;
    beforeAll(() => {
      if (loaded) load = startCpuLoad();
    });
    afterAll(() => load?.stop());

    describe(`placing orders on ${databaseKind}, ${conditions}`, () => {
      it('sells exactly the stock to 100 concurrent buyers who retry with their key until the answer is final: 10 CONFIRMED, 90 OUT_OF_STOCK', async () => {
        const productId = await newProduct(10);
        const started = performance.now();
        // Each buyer's checkout has its own key. An answer that is not final (SERVICE_UNAVAILABLE: no answer
        // in time, "may still take effect") is retried with the same key, as the API says, until it is final:
        // the order, or a refusal. The retry finishes a placement that went quiet, so nobody is turned away.
        let retries = 0;
        const buy = async (buyer: number) => {
          let response = await place(productId, 1, key(`buyer-${buyer}`));
          for (let attempt = 0; attempt < 60 && codes(response)?.[0] === 'SERVICE_UNAVAILABLE'; attempt++) {
            retries++;
            await new Promise((resolve) => setTimeout(resolve, 250));
            response = await place(productId, 1, key(`buyer-${buyer}`));
          }
          return response;
        };
        const responses = await Promise.all(Array.from({ length: 100 }, (_, buyer) => buy(buyer)));
        const seconds = (performance.now() - started) / 1000;
        console.info(
          `100 concurrent placeOrder on ${databaseKind}, ${conditions}: ${seconds.toFixed(2)} s, ${retries} same-key retries`,
        );
        const confirmed = responses.filter((response) => response.body.data?.placeOrder.status === 'CONFIRMED');
        const refused = responses.filter((response) => codes(response)?.[0] === 'OUT_OF_STOCK');
        expect(confirmed).toHaveLength(10);
        expect(refused).toHaveLength(90);
        expect(refused[0]?.body.errors?.[0]?.message).toContain('Saga product');
        expect(await expectInvariant(productId, 10)).toEqual({ stock: 0, confirmedUnits: 10 });
        // What the winners were told is what the database holds.
        const ids = confirmed.map((response) => response.body.data?.placeOrder.id);
        const statuses = await ordersDb().$queryRawUnsafe<{ status: string }[]>(
          'SELECT status::text AS status FROM orders WHERE id = ANY($1::uuid[])',
          ids,
        );
        expect(statuses.map((row) => row.status)).toEqual(Array(10).fill('CONFIRMED'));
      });

      it('gives 20 concurrent requests with one idempotency key one order', async () => {
        const productId = await newProduct(50);
        const responses = await Promise.all(Array.from({ length: 20 }, () => place(productId, 2, key('checkout-42'))));
        const ids = new Set(responses.map((response) => response.body.data?.placeOrder.id));
        expect(responses.every((response) => response.body.data?.placeOrder.status === 'CONFIRMED')).toBe(true);
        expect(ids.size).toBe(1);
        const [count] = await ordersDb().$queryRawUnsafe<{ n: bigint | number }[]>(
          'SELECT COUNT(*) AS n FROM orders WHERE idempotency_key = $1',
          key('checkout-42'),
        );
        expect(Number(count?.n)).toBe(1);
        expect(await expectInvariant(productId, 50)).toEqual({ stock: 48, confirmedUnits: 2 });
      });

      it('refuses the same key with a different payload with CONFLICT, and repeats a failure for the same payload', async () => {
        const productId = await newProduct(5);
        expect((await place(productId, 1, key('basket-7'))).body.data?.placeOrder.status).toBe('CONFIRMED');
        expect(codes(await place(productId, 2, key('basket-7')))).toEqual(['CONFLICT']);

        expect(codes(await place(productId, 99, key('basket-8')))).toEqual(['OUT_OF_STOCK']);
        expect(codes(await place(productId, 99, key('basket-8')))).toEqual(['OUT_OF_STOCK']);
        await expectInvariant(productId, 5);
      });

      it('releases stock once when an order is cancelled twice, even at the same time', async () => {
        const productId = await newProduct(3);
        const order = (await place(productId, 2)).body.data?.placeOrder;
        const cancel = () =>
          supergraph.request<{ cancelOrder: { status: string; cancelReason: string } }>(
            'mutation ($id: ID!) { cancelOrder(id: $id) { status cancelReason } }',
            { id: order?.id },
            { token: ada },
          );
        const [first, second] = await Promise.all([cancel(), cancel()]);
        expect(first.body.data?.cancelOrder.status).toBe('CANCELLED');
        expect(second.body.data?.cancelOrder.status).toBe('CANCELLED');
        expect((await cancel()).body.data?.cancelOrder.cancelReason).toBe('cancelled by the customer');
        expect(await expectInvariant(productId, 3)).toEqual({ stock: 3, confirmedUnits: 0 });
      });
    });

    describe(`failures at each step on ${databaseKind}, ${conditions}`, () => {
      it('products unreachable: no order at the quote; at the reserve the order waits, and a same-key retry finishes it', async () => {
        const productId = await newProduct(4);
        supergraph.proxyTo('products').set('refuse', '');
        const unreachable = await place(productId, 1, key('unreachable-1'));
        expect(codes(unreachable)).toEqual(['SERVICE_UNAVAILABLE']);
        expect(unreachable.body.errors?.[0]?.message).toContain('no order was placed');

        supergraph.proxyTo('products').set('refuse', 'reserveStock');
        const interrupted = await place(productId, 1, key('unreachable-2'));
        expect(codes(interrupted)).toEqual(['SERVICE_UNAVAILABLE']);
        expect(interrupted.body.errors?.[0]?.message).toContain('may still take effect');
        supergraph.proxyTo('products').set('pass');
        // Not a stored failure replayed forever: the retry places it.
        expect((await place(productId, 1, key('unreachable-2'))).body.data?.placeOrder.status).toBe('CONFIRMED');
        expect((await place(productId, 1, key('unreachable-1'))).body.data?.placeOrder.status).toBe('CONFIRMED');
        expect(await expectInvariant(productId, 4)).toEqual({ stock: 2, confirmedUnits: 2 });
      });

      it('products reserved but its answer was lost: the same-key retry answers the order products holds stock for', async () => {
        const productId = await newProduct(4);
        supergraph.proxyTo('products').set('lose-response', 'reserveStock');
        expect(codes(await place(productId, 3, key('lost-answer')))).toEqual(['SERVICE_UNAVAILABLE']);
        supergraph.proxyTo('products').set('pass');
        expect((await place(productId, 3, key('lost-answer'))).body.data?.placeOrder.status).toBe('CONFIRMED');
        expect(await expectInvariant(productId, 4)).toEqual({ stock: 1, confirmedUnits: 3 });
      });

      it('a customer who never retries: the sweep gives the order up (ORDER_NOT_PLACED, final for its key) and takes nothing', async () => {
        const productId = await newProduct(4);
        supergraph.proxyTo('products').set('refuse', 'reserveStock');
        expect(codes(await place(productId, 2, key('gone')))).toEqual(['SERVICE_UNAVAILABLE']);
        supergraph.proxyTo('products').set('pass');
        expect((await (supergraph.runJob('orders', 'recovery') as Promise<string[]>)).length).toBeGreaterThanOrEqual(1);
        const [given] = await ordersDb().$queryRawUnsafe<{ status: string; stock_state: string }[]>(
          'SELECT o.status, o.stock_state FROM orders o JOIN order_items i ON i.order_id = o.id WHERE i.product_id = $1::uuid',
          productId,
        );
        expect(given).toEqual({ status: 'CANCELLED', stock_state: 'RELEASED' });
        const late = await place(productId, 2, key('gone'));
        expect(codes(late)).toEqual(['ORDER_NOT_PLACED']);
        expect(late.body.errors?.[0]?.message).toContain('new idempotencyKey');
        expect(await expectInvariant(productId, 4)).toEqual({ stock: 4, confirmedUnits: 0 });
      });

      it('commit lost after confirming: the order stays CONFIRMED and the sweep commits the reservation', async () => {
        const productId = await newProduct(4);
        supergraph.proxyTo('products').set('lose-response', 'commitStock');
        expect((await place(productId, 1)).body.data?.placeOrder.status).toBe('CONFIRMED');
        supergraph.proxyTo('products').set('pass');
        await (supergraph.runJob('orders', 'recovery') as Promise<string[]>);
        expect(await expectInvariant(productId, 4)).toEqual({ stock: 3, confirmedUnits: 1 });
      });

      it('orders crashes after products reserved, and finishes the order when it starts again', async () => {
        const productId = await newProduct(6);
        const database = await createTestDatabase('saga_orders');
        const dataDir = mkdtempSync(path.join(tmpdir(), 'shop-saga-'));
        const url =
          database.location.kind === 'postgres' ? database.location.url : `pglite:${path.join(dataDir, 'orders')}`;
        const proxy = await startFaultProxy(supergraph.subgraphUrls.products);
        let orders: SubgraphProcess | undefined;
        try {
          orders = await startSubgraphProcess('orders', {
            DATA_DIR: dataDir,
            ORDERS_DATABASE_URL: url,
            PRODUCTS_URL: proxy.url,
            JWT_PUBLIC_KEY: supergraph.keys.publicPem,
            INTERNAL_API_TOKEN: supergraph.internalToken,
            USERS_URL: supergraph.subgraphUrls.users,
            ORDER_PENDING_TIMEOUT_SECONDS: '1',
            ORDER_RECOVERY_INTERVAL_SECONDS: '1',
          });
          const ordersProcess = orders;
          // Products takes the stock, and the orders process dies before it hears back.
          proxy.set('lose-response', 'reserveStock', () => ordersProcess.kill('SIGKILL'));
          const crashed = await supergraph
            .request(PLACE, { items: [{ productId, quantity: 2 }] }, { url: orders.url, token: ada })
            .catch((error: Error) => error);
          expect(crashed).toBeInstanceOf(Error);
          proxy.set('pass');
          await orders.waitForExit();
          expect(await stockOf(productId)).toBe(4); // reserved, the order still PENDING

          await orders.start();
          type Orders = {
            orders: { edges: { node: { status: string; items: { quantity: number; product: { id: string } }[] } }[] };
          };
          const ordersOfAda = () =>
            supergraph.request<Orders>(
              '{ orders(first: 100) { edges { node { status items { quantity product { id } } } } } }',
              {},
              { url: ordersProcess.url, token: ada },
            );
          const ours = async () =>
            ((await ordersOfAda()).body.data?.orders.edges.map((edge) => edge.node) ?? []).filter((order) =>
              order.items.some((item) => item.product.id === productId),
            );
          await until(async () => (await ours()).every((order) => order.status !== 'PENDING'));
          // The new database holds the seeded orders too: look at the ones for this product.
          const placed = await ours();
          expect(placed.map((order) => order.status)).toEqual(['CONFIRMED']);
          const confirmedUnits = placed.flatMap((order) => order.items).reduce((sum, item) => sum + item.quantity, 0);
          expect((await stockOf(productId)) + confirmedUnits).toBe(6);
          await until(async () => (await openReservations(productId)) === 0);
        } finally {
          await orders?.stop();
          await proxy.close();
          await database.drop();
          rmSync(dataDir, { recursive: true, force: true });
        }
      });
    });
  });
}
