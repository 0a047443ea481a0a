import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { databaseKind } from '@shop/subgraph-runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteRedisKeys, TEST_REDIS_URL } from '../harness/redis.js';
import { errorCodes, type Supergraph, startSupergraph } from '../harness/supergraph.js';

/**
 * The router's fetch cache, through real HTTP, real subgraphs and databases, in memory and in Redis: it
 * never serves a private part to another user, and the next read after a mutation shows what the mutation
 * changed, even when the client did not select it. A subgraph going away: public parts stand in, marked stale.
 * Redis going away leaves the memory level serving, never a failed or stale answer.
 */
const REDIS_URL = TEST_REDIS_URL;
const prefix = `shop-test:${process.pid}:${randomBytes(4).toString('hex')}:`;

let supergraph: Supergraph;
let admin: string;
let ada: string;
let linus: string;

beforeAll(async () => {
  supergraph = await startSupergraph();
  [admin, ada, linus] = await Promise.all((['admin', 'ada', 'linus'] as const).map((who) => supergraph.logInAs(who)));
});

afterAll(async () => {
  await supergraph?.close();
  await deleteRedisKeys(prefix); // only what this file created
});

const PRODUCT = 'query ($id: ID!) { product(id: $id) { id name price { amount } stock } }';
const CATALOGUE = '{ products(first: 50, orderBy: PRICE_ASC) { edges { node { name price { amount } } } } }';
const ME = '{ me { id name email orders(first: 5) { edges { node { number status } } } } }';

type Product = { product: { id: string; name: string; price: { amount: number }; stock: number } };

describe.each(['memory', 'redis'] as const)(`the fetch cache in %s, on ${databaseKind}`, (store) => {
  let url: string;
  let productId: string;
  const read = <Data>(query: string, variables: Record<string, unknown> = {}, token?: string) =>
    supergraph.request<Data>(query, variables, { url, ...(token ? { token } : {}) });

  beforeAll(async () => {
    const env = store === 'redis' ? { CACHE: 'on', REDIS_URL, CACHE_PREFIX: `${prefix}${store}:` } : { CACHE: 'on' };
    url = (await supergraph.startRouter(env)).url;
    // Through this router: its answer waits until the router has dropped what the new product changed (created
    // through another router, the drop comes with the next poll, and could land between two reads of a test).
    const lamp = { name: `Cached Lamp ${store}`, stock: 10, price: 1500 };
    productId = (await supergraph.createProduct(admin, lamp, url)).id;
  });

  it('serves a public answer again from the cache, with Age and Cache-Control, without asking the subgraph', async () => {
    const first = await read<Product>(PRODUCT, { id: productId });
    expect(first.headers.get('x-cache')).toBe('MISS');
    expect(first.headers.get('cache-control')).toBe('max-age=30, public');
    const asked = supergraph.subgraphRequests.products;
    const second = await read<Product>(PRODUCT, { id: productId });
    expect(second.headers.get('x-cache')).toBe('HIT');
    expect(second.headers.get('cache-control')).toBe('max-age=30, public');
    expect(Number(second.headers.get('age'))).toBeGreaterThanOrEqual(0);
    expect(second.body).toEqual(first.body);
    expect(supergraph.subgraphRequests.products).toBe(asked);
  });

  it('keeps private answers per verified user, never serving one to another user or to nobody', async () => {
    const people = [ada, linus, ada, linus, admin];
    const answers = await Promise.all(people.map((token) => read<{ me: { id: string } }>(ME, {}, token)));
    const again = await Promise.all(people.map((token) => read<{ me: { id: string } }>(ME, {}, token)));
    const ids = await Promise.all(
      [ada, linus, admin].map(async (token) => (await read<{ me: { id: string } }>('{ me { id } }', {}, token)).body),
    );
    const idOf = (token: string) => ids[[ada, linus, admin].indexOf(token)]?.data?.me.id;
    for (const [index, token] of people.entries()) {
      expect(answers[index]?.body.data?.me.id).toBe(idOf(token));
      expect(again[index]?.body.data?.me.id).toBe(idOf(token));
      expect(again[index]?.headers.get('x-cache')).toBe('HIT');
      expect(again[index]?.headers.get('cache-control')).toBe('max-age=15, private');
    }
    for (let i = 0; i < 2; i++) {
      const anonymous = await read<{ me: null }>(ME);
      expect(anonymous.body.data?.me).toBeNull();
      expect(anonymous.headers.get('x-cache')).toBe('MISS');
    }
  });

  it("shows a product's new price in the next read after updateProduct, in the product and in lists", async () => {
    await read(PRODUCT, { id: productId });
    await read(CATALOGUE);
    expect((await read(CATALOGUE)).headers.get('x-cache')).toBe('HIT');
    const update = await supergraph.request(
      'mutation ($id: ID!) { updateProduct(id: $id, input: { price: { amount: 1, currency: "EUR" } }) { id } }',
      { id: productId },
      { url, token: admin },
    );
    expect(update.body.errors).toBeUndefined();
    expect((await read<Product>(PRODUCT, { id: productId })).body.data?.product.price.amount).toBe(1);
    const catalogue = await read<{ products: { edges: { node: { name: string; price: { amount: number } } }[] } }>(
      CATALOGUE,
    );
    // The cheapest first: this lamp is among them now (the other store's lamp costs 1 too).
    const listed = catalogue.body.data?.products.edges.find((edge) => edge.node.name === `Cached Lamp ${store}`);
    expect(listed?.node.price).toEqual({ amount: 1 });
  });

  it('shows the stock an order took and gave back, though the client selected no product', async () => {
    const stock = async () => (await read<Product>(PRODUCT, { id: productId })).body.data?.product.stock;
    const before = await stock();
    await stock(); // cached now
    const myOrders = async () => (await read<{ me: { orders: { edges: unknown[] } } }>(ME, {}, ada)).body.data;
    const ordersBefore = await myOrders();
    const placed = await supergraph.request<{ placeOrder: { id: string; status: string } }>(
      'mutation ($items: [OrderItemInput!]!) { placeOrder(input: { items: $items }) { id status } }',
      { items: [{ productId, quantity: 3 }] },
      { url, token: ada },
    );
    expect(placed.body.data?.placeOrder.status).toBe('CONFIRMED');
    expect(await stock()).toBe((before as number) - 3);
    expect(await myOrders()).not.toEqual(ordersBefore);
    const cancelled = await supergraph.request<{ cancelOrder: { status: string } }>(
      'mutation ($id: ID!) { cancelOrder(id: $id) { status } }',
      { id: placed.body.data?.placeOrder.id },
      { url, token: ada },
    );
    expect(cancelled.body.data?.cancelOrder.status).toBe('CANCELLED');
    expect(await stock()).toBe(before);
  });

  it("shows a new FAQ in the next read of its product's FAQs", async () => {
    const FAQS = 'query ($id: ID!) { product(id: $id) { faqs { question } } }';
    const faqs = async () => (await read<{ product: { faqs: { question: string }[] } }>(FAQS, { id: productId })).body;
    expect((await faqs()).data?.product.faqs).toEqual([]);
    await faqs();
    const created = await supergraph.request(
      'mutation ($productId: ID!) { createFaq(input: { question: "Dimmable?", answer: "Yes.", topic: "care", productId: $productId }) { id } }',
      { productId },
      { url, token: admin },
    );
    expect(created.body.errors).toBeUndefined();
    expect((await faqs()).data?.product.faqs).toEqual([{ question: 'Dimmable?' }]);
  });
});

describe(`a subgraph going away, on ${databaseKind}`, () => {
  it('serves public parts it holds past their max-age, saying how old, and never private ones', async () => {
    const router = await supergraph.startRouter({ CACHE: 'on' });
    const read = <Data>(query: string, variables: Record<string, unknown> = {}, token?: string) =>
      supergraph.request<Data>(query, variables, { url: router.url, ...(token ? { token } : {}) });
    const { id } = await supergraph.createProduct(admin, { name: 'Stale Lamp', stock: 2 });
    const fresh = await read<Product>(PRODUCT, { id });
    await read(ME, {}, ada);
    await supergraph.stopSubgraph('products');
    await supergraph.stopSubgraph('users');
    try {
      await new Promise((resolve) => setTimeout(resolve, 600)); // the change feed notices it cannot read them
      const stale = await read<Product>(PRODUCT, { id });
      expect(stale.body.data).toEqual(fresh.body.data);
      expect(stale.body.errors).toBeUndefined();
      expect(stale.body.extensions?.stale).toEqual([{ path: ['product'], ageSeconds: expect.any(Number) }]);
      expect(stale.headers.get('cache-control')).toBe('no-store');
      const mine = await read<{ me: null }>(ME, {}, ada);
      expect(mine.body.data?.me).toBeNull();
      expect(errorCodes(mine)).toContain('SERVICE_UNAVAILABLE');
    } finally {
      await supergraph.restartSubgraph('products');
      await supergraph.restartSubgraph('users');
      await router.stop();
    }
  });
});

describe('Redis going away', () => {
  it('answers from memory while Redis is down, and drops what a missed drop left stale in Redis when it is back', async () => {
    const link = await startTcpLink(6379);
    const router = await supergraph.startRouter({
      CACHE: 'on',
      REDIS_URL: `redis://127.0.0.1:${link.port}`,
      CACHE_PREFIX: `${prefix}outage:`,
    });
    const read = () => supergraph.request<Product>(PRODUCT, { id: productId }, { url: router.url });
    const { id: productId } = await supergraph.createProduct(admin, { name: 'Outage Lamp', stock: 4, price: 900 });
    await until(async () => (await read()).headers.get('x-cache') === 'HIT');

    link.cut();
    const during = await read();
    expect(during.status).toBe(200);
    expect(during.body.data?.product.name).toBe('Outage Lamp');
    // The router's own memory level still serves while Redis is away.
    // A change while Redis is away: its invalidation cannot reach Redis, which still holds the old answer.
    const update = await supergraph.request(
      'mutation ($id: ID!) { updateProduct(id: $id, input: { name: "Renamed Lamp" }) { id } }',
      { id: productId },
      { url: router.url, token: admin },
    );
    expect(update.body.errors).toBeUndefined();
    expect((await read()).body.data?.product.name).toBe('Renamed Lamp');

    link.restore();
    await until(async () => (await read()).headers.get('x-cache') === 'HIT');
    expect((await read()).body.data?.product.name).toBe('Renamed Lamp');
    await router.stop();
    await link.close();
  });
});

async function until(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`not true within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A TCP link to a local port that can be cut (every connection dropped, new ones refused) and restored. */
async function startTcpLink(targetPort: number) {
  const sockets = new Set<net.Socket>();
  let open = true;
  const server = net.createServer((client) => {
    if (!open) {
      client.destroy();
      return;
    }
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    cut: () => {
      open = false;
      for (const socket of sockets) socket.destroy();
    },
    restore: () => {
      open = true;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
