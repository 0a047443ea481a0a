import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Supergraph, startSupergraph } from '../harness/supergraph.js';

/**
 * Every entity reference and relation goes through a per-request DataLoader, so the number of SQL
 * statements for a query depends on its shape, never on how many rows it returns.
 */
let supergraph: Supergraph;
let shopper: string;

beforeAll(async () => {
  supergraph = await startSupergraph();
  const signUp = await supergraph.request<{ signUp: { token: string } }>(
    'mutation { signUp(input: { email: "many.orders@shop.test", name: "Busy Shopper", password: "long-enough-pw" }) { token } }',
  );
  shopper = signUp.body.data?.signUp.token as string;
  const products = await supergraph.request<{ products: { edges: { node: { id: string; stock: number } }[] } }>(
    '{ products(first: 100) { edges { node { id stock } } } }',
  );
  const ids =
    products.body.data?.products.edges.filter((edge) => edge.node.stock >= 20).map((edge) => edge.node.id) ?? [];
  // 50 orders of two different products each, spread over the catalogue.
  for (let index = 0; index < 50; index++) {
    const items = [ids[index % ids.length], ids[(index + 7) % ids.length]].map((productId) => ({
      productId,
      quantity: 1,
    }));
    const placed = await supergraph.request(
      'mutation ($items: [OrderItemInput!]!) { placeOrder(input: { items: $items }) { id } }',
      { items },
      { token: shopper },
    );
    expect(placed.body.errors).toBeUndefined();
  }
});
afterAll(() => supergraph?.close());

async function statementsFor(query: string, variables: Record<string, unknown>, token?: string) {
  supergraph.sql.reset();
  const response = await supergraph.request(query, variables, token ? { token } : {});
  expect(response.body.errors).toBeUndefined();
  return { counts: { ...supergraph.sql.counts }, total: supergraph.sql.total(), data: response.body.data };
}

describe('SQL statements per query do not grow with the number of results', () => {
  it('me { orders { items { product { name faqs } } } } at 1 and at 50 orders', async () => {
    const query = `query ($first: Int) { me { name orders(first: $first) { edges { node { number user { name }
      items { quantity product { name price { amount } faqs { question } } } } } } } }`;
    const one = await statementsFor(query, { first: 1 }, shopper);
    const fifty = await statementsFor(query, { first: 50 }, shopper);
    const orders = (fifty.data as { me: { orders: { edges: unknown[] } } }).me.orders.edges;
    expect(orders).toHaveLength(50);
    console.info('example query SQL statements', { one, fifty: { ...fifty, data: undefined } });
    expect(fifty.total).toBe(one.total);
    for (const service of Object.keys(supergraph.sql.counts)) expect(fifty.counts[service]).toBe(one.counts[service]);
  });

  it('products { faqs } and categories { products } at 1 and at many results', async () => {
    const products =
      'query ($first: Int) { products(first: $first) { edges { node { name category { name } faqs { question } } } } }';
    expect((await statementsFor(products, { first: 26 })).total).toBe(
      (await statementsFor(products, { first: 1 })).total,
    );

    const categories =
      'query ($first: Int) { categories { name products(first: $first) { totalCount edges { node { name faqs { question } } } } } }';
    expect((await statementsFor(categories, { first: 6 })).total).toBe(
      (await statementsFor(categories, { first: 1 })).total,
    );
  });

  it('orders → user → orders → items → product → faqs (three plan steps) as admin', async () => {
    const admin = await supergraph.logInAs('admin');
    const query = `query ($first: Int) { orders(first: $first) { edges { node { user { name orders(first: 3) { edges { node {
      items { product { name faqs { question } } } } } } } } } } }`;
    const few = await statementsFor(query, { first: 2 }, admin);
    const many = await statementsFor(query, { first: 57 }, admin);
    expect(many.total).toBe(few.total);
  });
});
