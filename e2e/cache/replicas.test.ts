import { randomBytes } from 'node:crypto';
import { databaseKind } from '@shop/subgraph-runtime/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteRedisKeys, TEST_REDIS_URL } from '../harness/redis.js';
import { errorCodes, type Supergraph, startSupergraph } from '../harness/supergraph.js';

/**
 * Router replicas in front of the same subgraphs, each with its own memory cache, or sharing Redis behind it:
 * a committed change (through another replica, or by the orders recovery sweep with no router involved) is
 * in the next read through every replica one second later, because every replica follows every subgraph's
 * change log.
 */
const REDIS_URL = TEST_REDIS_URL;
const prefix = `shop-test:${process.pid}:${randomBytes(4).toString('hex')}:`;
const ONE_SECOND = 1_000;

let supergraph: Supergraph;
let admin: string;
let ada: string;

beforeAll(async () => {
  supergraph = await startSupergraph();
  [admin, ada] = await Promise.all((['admin', 'ada'] as const).map((who) => supergraph.logInAs(who)));
});

afterAll(async () => {
  await supergraph?.close();
  await deleteRedisKeys(prefix); // only what this file created
});

const PRODUCT = 'query ($id: ID!) { product(id: $id) { id name price { amount } } }';
const CHEAPEST = '{ products(first: 5, orderBy: PRICE_ASC) { edges { node { id price { amount } } } } }';
const MY_ORDERS = '{ me { orders(first: 3) { edges { node { id status items { product { name } } } } } } }';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Reads until the answer comes wholly from the cache (at most 2 s); the last `x-cache`. */
async function servedFromCache(read: () => Promise<{ headers: Headers }>): Promise<string | null> {
  let cache: string | null = null;
  for (let attempt = 0; attempt < 20 && cache !== 'HIT'; attempt++) {
    if (attempt > 0) await sleep(100);
    cache = (await read()).headers.get('x-cache');
  }
  return cache;
}

type Product = { product: { id: string; name: string; price: { amount: number } } };
type Orders = { me: { orders: { edges: { node: { id: string; status: string } }[] } } };

describe.each(['memory', 'redis'] as const)(`two router replicas with %s caches, on ${databaseKind}`, (store) => {
  const settings = store === 'redis' ? { CACHE: 'on', REDIS_URL, CACHE_PREFIX: `${prefix}${store}:` } : { CACHE: 'on' };
  let one: string;
  let other: string;
  const through = <Data>(url: string, query: string, variables: Record<string, unknown> = {}, token?: string) =>
    supergraph.request<Data>(query, variables, { url, ...(token ? { token } : {}) });

  beforeAll(async () => {
    [one, other] = (await Promise.all([supergraph.startRouter(settings), supergraph.startRouter(settings)])).map(
      (router) => router.url,
    );
  });

  it('shows a write through one replica in the next read through the other one second later', async () => {
    const { id } = await supergraph.createProduct(admin, { name: `Replica Lamp ${store}`, stock: 3, price: 4_000 });
    await through(one, PRODUCT, { id });
    // Cached through the other replica (retried briefly: on busy CPUs its change feed may still be starting).
    expect(await servedFromCache(() => through(other, PRODUCT, { id }))).toBe('HIT');
    expect(await servedFromCache(() => through(other, CHEAPEST))).toBe('HIT');

    const update = await supergraph.request(
      'mutation ($id: ID!) { updateProduct(id: $id, input: { name: "Moved Lamp", price: { amount: 0, currency: "EUR" } }) { id } }',
      { id },
      { url: one, token: admin },
    );
    expect(update.body.errors).toBeUndefined();
    // Through the replica that made it: at once (its answer left after the change was applied).
    expect((await through<Product>(one, PRODUCT, { id })).body.data?.product).toMatchObject({ name: 'Moved Lamp' });
    await sleep(ONE_SECOND);
    expect((await through<Product>(other, PRODUCT, { id })).body.data?.product).toEqual({
      id,
      name: 'Moved Lamp',
      price: { amount: 0 },
    });
    // The price-ordered list: now it leads (nothing costs less than 0).
    const cheapest = await through<{ products: { edges: { node: { id: string } }[] } }>(other, CHEAPEST);
    expect(cheapest.body.data?.products.edges.map((edge) => edge.node.id)).toContain(id);
  });

  it('shows what the recovery sweep changed, with no router involved, through every replica one second later', async () => {
    const { id: productId } = await supergraph.createProduct(admin, { name: `Sweep Lamp ${store}`, stock: 4 });
    supergraph.proxyTo('products').set('refuse', 'reserveStock');
    const placed = await supergraph.request(
      'mutation ($items: [OrderItemInput!]!, $key: String) { placeOrder(input: { items: $items }, idempotencyKey: $key) { id } }',
      { items: [{ productId, quantity: 1 }], key: `sweep-${store}-${randomBytes(3).toString('hex')}` },
      { url: one, token: ada },
    );
    supergraph.proxyTo('products').set('pass');
    expect(errorCodes(placed)).toEqual(['SERVICE_UNAVAILABLE']);
    await sleep(ONE_SECOND);
    const pending = async (url: string) => {
      const orders = (await through<Orders>(url, MY_ORDERS, {}, ada)).body.data?.me.orders.edges ?? [];
      return orders[0]?.node.status;
    };
    for (const url of [one, other]) {
      expect(await pending(url)).toBe('PENDING');
      expect(await pending(url)).toBe('PENDING'); // cached now
    }

    await supergraph.runJob('orders', 'recovery');
    await sleep(ONE_SECOND);
    for (const url of [one, other]) expect(await pending(url)).toBe('CANCELLED');
  });
});

describe(`a replica that starts on a shared cache, on ${databaseKind}`, () => {
  const settings = { CACHE: 'on', REDIS_URL, CACHE_PREFIX: `${prefix}restart:` };

  it('applies the changes committed while no replica was running before it serves from the shared cache', async () => {
    const { id } = await supergraph.createProduct(admin, { name: 'Restart Lamp', stock: 2 });
    const first = await supergraph.startRouter(settings);
    await supergraph.request(PRODUCT, { id }, { url: first.url });
    await sleep(300); // the entry reaches Redis, and the replica has read the change log once
    await first.stop();
    // No router runs: the change is only in the products database's change log.
    await supergraph.prisma.products?.$executeRawUnsafe(
      `UPDATE products SET name = 'Renamed while nobody watched', updated_at = now() WHERE id = '${id}'`,
    );
    const next = await supergraph.startRouter(settings);
    await sleep(500); // it has read the change logs: it serves from the shared cache now
    const read = await supergraph.request<Product>(PRODUCT, { id }, { url: next.url });
    expect(read.body.data?.product.name).toBe('Renamed while nobody watched');
    await next.stop();
  });

  it('drops what it cannot vouch for: a shared cache whose place in the change log is unknown', async () => {
    const { id } = await supergraph.createProduct(admin, { name: 'Unknown Place Lamp', stock: 2 });
    const first = await supergraph.startRouter(settings);
    await supergraph.request(PRODUCT, { id }, { url: first.url });
    await sleep(300);
    await first.stop();
    await supergraph.prisma.products?.$executeRawUnsafe(
      `UPDATE products SET name = 'Renamed, place forgotten', updated_at = now() WHERE id = '${id}'`,
    );
    const redis = new Redis(REDIS_URL);
    await redis.del(`${settings.CACHE_PREFIX}changes:products`);
    redis.disconnect();
    const next = await supergraph.startRouter(settings);
    await sleep(500); // it has read the change logs: it serves from the shared cache now
    const read = await supergraph.request<Product>(PRODUCT, { id }, { url: next.url });
    expect(read.body.data?.product.name).toBe('Renamed, place forgotten');
    await next.stop();
  });
});
