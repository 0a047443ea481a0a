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
      it('sells the stock to 100 concurrent buyers, never below zero, every answer true (10 confirmed, 90 OUT_OF_STOCK when all are answered)', async () => {
        const productId = await newProduct(10);
        const started = performance.now();
        // Each buyer's checkout has its own key; one that gets no answer in time (SERVICE_UNAVAILABLE from the
        // router's deadline, while its order may still complete) retries with it, as a client should, until the
        // answer is definite: a failed order repeats its failure for the same key, a finished one its order. On
        // a loaded machine a retry can itself time out while the first attempt is still working, hence several.
        const buy = async (buyer: number) => {
          let response = await place(productId, 1, key(`buyer-${buyer}`));
          for (let retry = 0; retry < 10 && codes(response)?.[0] === 'SERVICE_UNAVAILABLE'; retry++) {
            await new Promise((resolve) => setTimeout(resolve, 250));
            response = await place(productId, 1, key(`buyer-${buyer}`));
          }
          return response;
        };
        const first = await Promise.all(
          Array.from({ length: 100 }, (_, buyer) => place(productId, 1, key(`buyer-${buyer}`))),
        );
        const unanswered = first.filter((response) => codes(response)?.[0] === 'SERVICE_UNAVAILABLE').length;
        const responses = await Promise.all(
          first.map((response, buyer) => (codes(response)?.[0] === 'SERVICE_UNAVAILABLE' ? buy(buyer) : response)),
        );
        const seconds = (performance.now() - started) / 1000;
        console.info(
          `100 concurrent placeOrder on ${databaseKind}, ${conditions}: ${seconds.toFixed(2)} s, ${unanswered} retried after no answer in time`,
        );
        const confirmed = responses.filter((response) => response.body.data?.placeOrder.status === 'CONFIRMED');
        const refused = responses.filter((response) => codes(response)?.[0] === 'OUT_OF_STOCK');
        const unavailable = responses.filter((response) => codes(response)?.[0] === 'SERVICE_UNAVAILABLE');
        // Every buyer has a definite answer. When the machine is slow, a few may be told the shop is unavailable
        // (their orders cancelled, nothing charged), but never one whose order was in fact confirmed.
        expect(confirmed.length + refused.length + unavailable.length).toBe(100);
        expect(refused[0]?.body.errors?.[0]?.message).toContain('Saga product');
        const { stock, confirmedUnits } = await expectInvariant(productId, 10);
        expect(confirmed).toHaveLength(confirmedUnits);
        expect(stock).toBe(10 - confirmed.length);
        // Nobody turned away for want of an answer: then exactly the stock was sold.
        if (unavailable.length === 0) expect(confirmed).toHaveLength(10);
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
      it('products unreachable: no order, or a cancelled one, and no stock taken', async () => {
        const productId = await newProduct(4);
        supergraph.proxyTo('products').set('refuse', '');
        const unreachable = await place(productId);
        expect(codes(unreachable)).toEqual(['SERVICE_UNAVAILABLE']);

        supergraph.proxyTo('products').set('refuse', 'reserveStock');
        expect(codes(await place(productId))).toEqual(['SERVICE_UNAVAILABLE']);
        supergraph.proxyTo('products').set('pass');
        const [cancelled] = await ordersDb().$queryRawUnsafe<
          { status: string; stock_state: string; cancel_reason: string }[]
        >(
          `SELECT o.status, o.stock_state, o.cancel_reason FROM orders o JOIN order_items i ON i.order_id = o.id WHERE i.product_id = $1::uuid`,
          productId,
        );
        expect(cancelled).toMatchObject({ status: 'CANCELLED', stock_state: 'RELEASED' });
        expect(cancelled?.cancel_reason).toContain('products service unreachable');
        expect(await expectInvariant(productId, 4)).toEqual({ stock: 4, confirmedUnits: 0 });
      });

      it('products fails after reserving: the reservation is released and the order cancelled', async () => {
        const productId = await newProduct(4);
        supergraph.proxyTo('products').set('lose-response', 'reserveStock');
        expect(codes(await place(productId, 3))).toEqual(['SERVICE_UNAVAILABLE']);
        supergraph.proxyTo('products').set('pass');
        expect(await expectInvariant(productId, 4)).toEqual({ stock: 4, confirmedUnits: 0 });
      });

      it('products unreachable for the compensation too: the order is cancelled and the sweep gives the stock back', async () => {
        const productId = await newProduct(4);
        supergraph.proxyTo('products').set('refuse', 'Stock(');
        expect(codes(await place(productId, 2))).toEqual(['SERVICE_UNAVAILABLE']);
        supergraph.proxyTo('products').set('pass');
        const [stuck] = await ordersDb().$queryRawUnsafe<{ status: string; stock_state: string }[]>(
          'SELECT o.status, o.stock_state FROM orders o JOIN order_items i ON i.order_id = o.id WHERE i.product_id = $1::uuid',
          productId,
        );
        // Cancelled at once, but whether products took the stock is unknown until the sweep asks again.
        expect(stuck).toEqual({ status: 'CANCELLED', stock_state: 'UNKNOWN' });
        expect((await (supergraph.runJob('orders', 'recovery') as Promise<string[]>)).length).toBeGreaterThanOrEqual(1);
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
