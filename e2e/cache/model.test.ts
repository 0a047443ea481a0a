import { randomBytes } from 'node:crypto';
import { databaseKind } from '@shop/subgraph-runtime/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Supergraph, startSupergraph } from '../harness/supergraph.js';

/**
 * The cache against the truth: random sequences of writes (catalogue, stock, FAQs, orders, accounts; through the
 * cached router, or straight into a database with no router involved) with reads after each. Every read goes
 * to a cached router and to a router with the cache off, and the answers must be identical: after a write
 * through the cached router at once, after a write it did not see within one second. The reads cover each
 * list dimension the writes move (category, stock, price, text, ordering, a customer's orders).
 *
 * Replay a failure with the seed it prints: CACHE_MODEL_SEED=<seed> npx vitest run cache/model (from e2e/).
 */
const SEED = Number(process.env.CACHE_MODEL_SEED ?? 20261205);
const RUNS = Number(process.env.CACHE_MODEL_RUNS ?? 20);
const marker = `Model${randomBytes(3).toString('hex')}`;

let supergraph: Supergraph;
let cached: string;
let uncached: string;
let admin: string;
let ada: string;
const products: { id: string; sku: string }[] = [];
let categories: { id: string; slug: string }[] = [];
/** Writes that took effect (no error): the property must have changed things. */
let writesDone = 0;

beforeAll(async () => {
  supergraph = await startSupergraph();
  cached = (await supergraph.startRouter({ CACHE: 'on', SUBGRAPH_DEDUPLICATION: 'false' })).url;
  uncached = (await supergraph.startRouter({ CACHE: 'off', SUBGRAPH_DEDUPLICATION: 'false' })).url;
  [admin, ada] = await Promise.all((['admin', 'ada'] as const).map((who) => supergraph.logInAs(who)));
  const { body } = await supergraph.request<{ categories: { id: string; slug: string }[] }>(
    '{ categories { id slug } }',
  );
  categories = (body.data?.categories ?? []).slice(0, 2);
  for (let index = 0; index < 4; index++) {
    products.push(
      await supergraph.createProduct(admin, { name: `${marker} ${index}`, stock: index, price: 100 * index }),
    );
  }
});
afterAll(async () => {
  await supergraph?.close();
});

/** Reads whose answers the writes below can change. */
function reads() {
  const ids = products.map(({ id }) => id);
  const [first, second] = categories;
  const catalogue =
    'query ($filter: ProductFilter, $orderBy: ProductOrderBy) { products(filter: $filter, orderBy: $orderBy, first: 2) { totalCount edges { node { id name stock price { amount } category { slug } archivedAt } } } }';
  return [
    [catalogue, { filter: { ids }, orderBy: 'PRICE_ASC' }],
    [catalogue, { filter: { search: marker }, orderBy: 'NAME_ASC' }],
    [catalogue, { filter: { search: marker, inStock: true } }],
    [catalogue, { filter: { search: marker, minPrice: 50, maxPrice: 250 }, orderBy: 'PRICE_DESC' }],
    [catalogue, { filter: { search: marker }, orderBy: 'PRICE_ASC' }],
    [catalogue, { filter: { category: first?.slug, search: marker } }],
    [catalogue, { filter: { category: second?.slug }, orderBy: 'NAME_ASC' }],
    [catalogue, { orderBy: 'NEWEST' }],
    [
      'query ($id: ID!) { product(id: $id) { id name stock price { amount } faqs { question topic } category { slug products(first: 5) { edges { node { id name } } } } } }',
      { id: ids[0] },
    ],
    ['query ($sku: String!) { product(sku: $sku) { id name stock } }', { sku: products[1]?.sku }],
    ['query ($sku: String!) { product(sku: $sku) { id name } }', { sku: `${marker.toUpperCase()}-NEW` }],
    [
      'query ($topic: String) { faqs(topic: $topic, first: 5) { totalCount edges { node { question product { name } } } } }',
      { topic: marker.toLowerCase() },
    ],
    ['query ($id: ID) { faqs(productId: $id, first: 5) { totalCount edges { node { question } } } }', { id: ids[2] }],
    ['query ($search: String) { faqs(search: $search, first: 5) { totalCount } }', { search: marker }],
    ['{ faqs(first: 3) { totalCount edges { node { question } } } }', {}],
    [
      '{ me { name orders(first: 3) { totalCount edges { node { status items { quantity product { name stock } } } } } } }',
      {},
      ada,
    ],
    // The same entity fetch (ada's User) with another argument: a part of its own.
    ['query ($n: Int) { me { orders(first: $n) { totalCount edges { node { status } } } } }', { n: 1 }, ada],
    ['query ($n: Int) { me { orders(first: $n) { totalCount edges { node { status } } } } }', { n: 3 }, ada],
    ['{ orders(first: 3) { totalCount edges { node { status user { name } } } } }', {}, admin],
  ] as [string, Record<string, unknown>, string?][];
}

type Write = { name: string; run: () => Promise<void> };

const product = fc.nat(3).map((index) => () => products[index] as { id: string; sku: string });
const writes: fc.Arbitrary<Write>[] = [
  // Amounts on both sides of the lists' price bounds, so products move in and out of them.
  fc.tuple(product, fc.constantFrom(0, 60, 140, 240, 400)).map(([of, amount]) => ({
    name: `price ${amount}`,
    run: () =>
      mutate(admin, 'updateProduct(id: $id, input: { price: { amount: $n, currency: "EUR" } }) { id }', {
        id: of().id,
        n: amount,
      }),
  })),
  fc.tuple(product, fc.constantFrom('-first', 'Mid', 'Zed')).map(([of, word]) => ({
    name: `rename ${word}`,
    run: () =>
      mutate(admin, 'updateProduct(id: $id, input: { name: $s }) { id }', { id: of().id, s: `${marker} ${word}` }),
  })),
  fc.tuple(product, fc.nat(1)).map(([of, index]) => ({
    name: `category ${index}`,
    run: () =>
      mutate(admin, 'updateProduct(id: $id, input: { categoryId: $c }) { id }', {
        id: of().id,
        c: categories[index]?.id,
      }),
  })),
  fc.tuple(product, fc.nat(2)).map(([of, stock]) => ({
    name: `stock ${stock}`,
    run: () => mutate(admin, 'updateProduct(id: $id, input: { stock: $n }) { id }', { id: of().id, n: stock }),
  })),
  product.map((of) => ({
    name: 'restock',
    run: () => mutate(admin, 'restockProduct(id: $id, quantity: $n) { id }', { id: of().id, n: 1 }),
  })),
  product.map((of) => ({
    name: 'order',
    run: () =>
      mutate(ada, 'placeOrder(input: { items: [{ productId: $id, quantity: $n }] }) { id }', { id: of().id, n: 1 }),
  })),
  fc.constant({
    name: 'cancel newest order',
    run: async () => {
      const { body } = await supergraph.request<{ me: { orders: { edges: { node: { id: string } }[] } } }>(
        '{ me { orders(first: 1) { edges { node { id } } } } }',
        {},
        { url: uncached, token: ada },
      );
      const id = body.data?.me.orders.edges[0]?.node.id;
      if (id) await mutate(ada, 'cancelOrder(id: $id) { id }', { id });
    },
  }),
  fc.constant({
    name: 'new product with the watched SKU',
    run: async () => {
      const sku = `${marker.toUpperCase()}-NEW`;
      const existing = await supergraph.request<{ product: unknown }>(
        'query ($sku: String!) { product(sku: $sku) { id } }',
        { sku },
        { url: uncached },
      );
      if (existing.body.data?.product) return;
      await mutate(
        admin,
        'createProduct(input: { sku: $s, name: "New", description: "d", price: { amount: 1, currency: "EUR" }, stock: 1 }) { id }',
        { s: sku },
      );
    },
  }),
  product.map((of) => ({
    name: 'archive',
    run: () => mutate(admin, 'deleteProduct(id: $id)', { id: of().id }),
  })),
  fc.tuple(product, fc.boolean()).map(([of, onTopic]) => ({
    name: 'new FAQ',
    run: () =>
      mutate(admin, 'createFaq(input: { question: $s, answer: "a", topic: $t, productId: $id }) { id }', {
        s: `${marker} question`,
        t: onTopic ? marker.toLowerCase() : 'other',
        id: of().id,
      }),
  })),
  fc.constant({
    name: 'move or delete an FAQ',
    run: async () => {
      const { body } = await supergraph.request<{ faqs: { edges: { node: { id: string } }[] } }>(
        'query ($s: String) { faqs(search: $s, first: 1) { edges { node { id } } } }',
        { s: marker },
        { url: uncached },
      );
      const id = body.data?.faqs.edges[0]?.node.id;
      if (!id) return;
      if (id.charCodeAt(0) % 2 === 0) await mutate(admin, 'deleteFaq(id: $id)', { id });
      else
        await mutate(admin, 'updateFaq(id: $id, input: { topic: "moved", productId: $p }) { id }', {
          id,
          p: products[3]?.id,
        });
    },
  }),
  fc.constantFrom('Ada', 'Ada L.').map((name) => ({
    name: `rename Ada ${name}`,
    run: () => mutate(ada, 'updateMe(input: { name: $s }) { id }', { s: name }),
  })),
  product.map((of) => ({
    name: 'price change in the database, no router',
    run: async () => {
      await supergraph.prisma.products?.$executeRawUnsafe(
        `UPDATE products SET price_amount = price_amount + 7, updated_at = now() WHERE id = '${of().id}'`,
      );
      await new Promise((resolve) => setTimeout(resolve, 1_000)); // the routers read the change log meanwhile
    },
  })),
];

/** A mutation through the cached router; refusals (out of stock, already archived) are answers too. */
async function mutate(token: string, selection: string, variables: Record<string, unknown>) {
  // Variables by name: `id`, `p`, `c` are ids, numbers are Int, the rest String.
  const typeOf = (name: string, value: unknown) =>
    typeof value === 'number' ? 'Int!' : ['id', 'p', 'c'].includes(name) ? 'ID!' : 'String!';
  const declared = Object.entries(variables)
    .map(([name, value]) => `$${name}: ${typeOf(name, value)}`)
    .join(', ');
  const response = await supergraph.request(`mutation (${declared}) { ${selection} }`, variables, {
    url: cached,
    token,
  });
  const codes = (response.body.errors ?? []).map((error) => error.extensions?.code);
  expect(codes, `${selection}: ${JSON.stringify(response.body.errors)}`).not.toContain('GRAPHQL_VALIDATION_FAILED');
  expect(codes).not.toContain('INTERNAL_SERVER_ERROR');
  if (codes.length === 0) writesDone++;
}

describe(`the cache on ${databaseKind}`, () => {
  it(`answers as the database does after every write (${RUNS} random sequences, seed ${SEED})`, async () => {
    const compare = async (after: string) => {
      for (const [query, variables, token] of reads()) {
        const options = token ? { token } : {};
        const answer = await supergraph.request(query, variables, { url: cached, ...options });
        const truth = await supergraph.request(query, variables, { url: uncached, ...options });
        expect(answer.body, `${query} after ${after}`).toEqual(truth.body);
      }
    };
    let hits = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(...writes), { minLength: 3, maxLength: 8 }), async (sequence) => {
        await compare('the start'); // fills the cache
        for (const write of sequence) {
          await write.run();
          await compare(write.name);
        }
        const again = await supergraph.request(reads()[0]?.[0] as string, reads()[0]?.[1], { url: cached });
        if (again.headers.get('x-cache') === 'HIT') hits++;
      }),
      { seed: SEED, numRuns: RUNS },
    );
    // The reads were served from the cache, not merely through it, and the writes took effect.
    expect(hits).toBeGreaterThan(0);
    expect(writesDone).toBeGreaterThan(RUNS * 2);
  });
});
