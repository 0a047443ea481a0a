import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Supergraph, startSupergraph } from '../harness/supergraph.js';

/**
 * The router shares one subgraph fetch among identical queries in flight at the same moment (same subgraph,
 * body and caller's token), never among different callers, and never for mutations.
 */
let supergraph: Supergraph;
let products: Awaited<ReturnType<typeof startSlowProxy>>;
let productId: string;

/** Counts the requests reaching products and holds each one long enough for concurrent ones to overlap. */
async function startSlowProxy(target: string, holdMs: number) {
  const bodies: string[] = [];
  const server = http.createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString();
    bodies.push(body);
    await new Promise((resolve) => setTimeout(resolve, holdMs));
    const upstream = await fetch(target, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(request.headers.authorization ? { authorization: request.headers.authorization } : {}),
      },
      body,
    });
    response.writeHead(upstream.status, { 'content-type': 'application/json' });
    response.end(await upstream.text());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    bodies,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

beforeAll(async () => {
  supergraph = await startSupergraph();
  products = await startSlowProxy(supergraph.subgraphUrls.products, 500);
  const first = await supergraph.request<{ products: { edges: { node: { id: string } }[] } }>(
    '{ products(first: 1) { edges { node { id } } } }',
  );
  productId = first.body.data?.products.edges[0]?.node.id as string;
});
afterAll(async () => {
  await supergraph?.close();
  await products?.close();
});

const PRODUCT = 'query ($id: ID!) { product(id: $id) { id name stock } }';
const all = <T>(count: number, make: () => Promise<T>) => Promise.all(Array.from({ length: count }, make));

describe('sharing identical in-flight subgraph queries', () => {
  it('sends one fetch for ten identical concurrent queries, and every caller gets the full answer', async () => {
    const router = await supergraph.startRouter({ PRODUCTS_URL: products.url });
    products.bodies.length = 0;
    const answers = await all(10, () => supergraph.request(PRODUCT, { id: productId }, { url: router.url }));
    expect(products.bodies).toHaveLength(1);
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual(answers[0]?.body);
      expect(answer.body.data?.product).toMatchObject({ id: productId });
    }
    await router.stop();
  });

  it('never shares between callers with different tokens', async () => {
    const router = await supergraph.startRouter({ PRODUCTS_URL: products.url });
    const [ada, linus] = await Promise.all([supergraph.logInAs('ada'), supergraph.logInAs('linus')]);
    products.bodies.length = 0;
    const answers = await Promise.all(
      [ada, ada, ada, linus, linus, linus].map((token) =>
        supergraph.request(PRODUCT, { id: productId }, { url: router.url, token }),
      ),
    );
    expect(products.bodies).toHaveLength(2);
    for (const answer of answers) expect(answer.body.errors).toBeUndefined();
    await router.stop();
  });

  it('never shares mutations: three identical concurrent restocks add three times', async () => {
    const router = await supergraph.startRouter({ PRODUCTS_URL: products.url });
    const admin = await supergraph.logInAs('admin');
    const before = await supergraph.request<{ product: { stock: number } }>(
      PRODUCT,
      { id: productId },
      { url: router.url },
    );
    products.bodies.length = 0;
    const restock = 'mutation ($id: ID!) { restockProduct(id: $id, quantity: 5) { stock } }';
    const answers = await all(3, () =>
      supergraph.request(restock, { id: productId }, { url: router.url, token: admin }),
    );
    expect(products.bodies).toHaveLength(3);
    for (const answer of answers) expect(answer.body.errors).toBeUndefined();
    // Read through the router the restocks went through: another router's in-memory response cache does not
    // hear of them (README: "Response cache": several routers share invalidations through Redis).
    const after = await supergraph.request<{ product: { stock: number } }>(
      PRODUCT,
      { id: productId },
      { url: router.url },
    );
    expect(after.body.data?.product.stock).toBe((before.body.data?.product.stock as number) + 15);
    await router.stop();
  });

  it('sends every query itself with SUBGRAPH_DEDUPLICATION=false', async () => {
    const router = await supergraph.startRouter({ PRODUCTS_URL: products.url, SUBGRAPH_DEDUPLICATION: 'false' });
    products.bodies.length = 0;
    const answers = await all(10, () => supergraph.request(PRODUCT, { id: productId }, { url: router.url }));
    expect(products.bodies).toHaveLength(10);
    for (const answer of answers) expect(answer.body.errors).toBeUndefined();
    await router.stop();
  });
});
