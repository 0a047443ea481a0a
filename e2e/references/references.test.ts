import { MEMORY_DATABASE_URL } from '@shop/subgraph-runtime';
import { databaseKind } from '@shop/subgraph-runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSubgraphProcess, until } from '../harness/subgraph-process.js';
import { errorCodes, type SqlClient, type Supergraph, startSupergraph } from '../harness/supergraph.js';

/**
 * Data that others reference is never pulled from under them: a deleted product, a closed account and a
 * failing owner service each leave every answer complete, or say in `errors` what is missing — never an
 * emptied answer without an error.
 */
const POLL_MS = 200;
let supergraph: Supergraph;
let admin: string;
let ada: string;

beforeAll(async () => {
  supergraph = await startSupergraph({ closedAccountsPollMs: POLL_MS });
  [admin, ada] = await Promise.all([supergraph.logInAs('admin'), supergraph.logInAs('ada')]);
});
afterAll(() => supergraph?.close());

const newProduct = (name: string, stock = 5) => supergraph.createProduct(admin, { name, stock, price: 1200 });

const placeOrder = (productId: string, token: string) =>
  supergraph.request<{ placeOrder: { id: string; number: string; status: string } }>(
    'mutation ($items: [OrderItemInput!]!) { placeOrder(input: { items: $items }) { id number status } }',
    { items: [{ productId, quantity: 1 }] },
    { token },
  );

const MY_ORDERS = `{ me { name orders(first: 100) { edges { node { id number
  items { productName productSku product { id name archivedAt } } } } } } }`;
type MyOrders = {
  me: {
    orders: {
      edges: {
        node: {
          id: string;
          items: {
            productName: string;
            productSku: string;
            product: { id: string; name: string; archivedAt: string };
          }[];
        };
      }[];
    };
  } | null;
};

describe(`the development seed on ${databaseKind}`, () => {
  it('holds only settled orders, with products agreeing: the recovery sweep changes nothing', async () => {
    const statuses = async () =>
      (
        await supergraph.request<{ orders: { edges: { node: { number: string; status: string } }[] } }>(
          '{ orders(first: 100) { edges { node { number status } } } }',
          {},
          { token: admin },
        )
      ).body.data?.orders.edges.map((edge) => `${edge.node.number} ${edge.node.status}`);
    const seeded = await statuses();
    expect(seeded).toHaveLength(7);
    expect(seeded?.some((order) => order.endsWith('PENDING'))).toBe(false);
    expect(await (supergraph.runJob('orders', 'recovery') as Promise<string[]>)).toEqual([]);
    expect(await statuses()).toEqual(seeded);
  });
});

describe(`a deleted product on ${databaseKind}`, () => {
  it('leaves the catalogue and cannot be ordered, but order histories, admin lists and FAQs still show it', async () => {
    const { id: productId, sku } = await newProduct('Walnut Monitor Riser');
    const placed = await placeOrder(productId, ada);
    expect(placed.body.data?.placeOrder.status).toBe('CONFIRMED');
    const faq = await supergraph.request<{ createFaq: { id: string } }>(
      'mutation ($input: CreateFaqInput!) { createFaq(input: $input) { id } }',
      { input: { question: 'Is the riser solid walnut?', answer: 'Yes.', topic: 'product', productId } },
      { token: admin },
    );
    // Renamed, then deleted: history shows what was bought, and the product as it is now.
    await supergraph.request(
      'mutation ($id: ID!) { updateProduct(id: $id, input: { name: "Walnut Riser (old model)" }) { id } }',
      { id: productId },
      { token: admin },
    );
    const remove = () =>
      supergraph.request<{ deleteProduct: boolean }>(
        'mutation ($id: ID!) { deleteProduct(id: $id) }',
        { id: productId },
        { token: admin },
      );
    expect((await remove()).body.data?.deleteProduct).toBe(true);
    expect((await remove()).body.data?.deleteProduct).toBe(false);

    const history = await supergraph.request<MyOrders>(MY_ORDERS, {}, { token: ada });
    expect(history.body.errors).toBeUndefined();
    expect(history.body.extensions).toBeUndefined();
    const item = history.body.data?.me?.orders.edges.find((edge) => edge.node.id === placed.body.data?.placeOrder.id)
      ?.node.items[0];
    expect(item).toMatchObject({
      productName: 'Walnut Monitor Riser',
      productSku: sku,
      product: { id: productId, name: 'Walnut Riser (old model)' },
    });
    expect(item?.product.archivedAt).toEqual(expect.any(String));

    const adminList = await supergraph.request<{ orders: { edges: unknown[] } }>(
      '{ orders(first: 3) { edges { node { number user { name } items { product { name } } } } } }',
      {},
      { token: admin },
    );
    expect(adminList.body.errors).toBeUndefined();
    expect(adminList.body.data?.orders.edges).toHaveLength(3);

    const faqs = await supergraph.request<{ faq: { product: { name: string; archivedAt: string } } }>(
      'query ($id: ID!) { faq(id: $id) { product { name archivedAt } } }',
      { id: faq.body.data?.createFaq.id },
    );
    expect(faqs.body.errors).toBeUndefined();
    expect(faqs.body.data?.faq.product.name).toBe('Walnut Riser (old model)');

    // The catalogue no longer lists it; product(id) still answers, saying it is archived.
    const search = await supergraph.request<{ products: { totalCount: number } }>(
      '{ products(filter: { search: "Walnut" }) { totalCount } }',
    );
    expect(search.body.data?.products.totalCount).toBe(0);
    const direct = await supergraph.request<{ product: { archivedAt: string | null } }>(
      'query ($id: ID) { product(id: $id) { archivedAt } }',
      { id: productId },
    );
    expect(direct.body.data?.product.archivedAt).toEqual(expect.any(String));

    const refused = await placeOrder(productId, ada);
    expect(errorCodes(refused)).toEqual(['PRODUCT_ARCHIVED']);
    expect(refused.body.errors?.[0]?.message).toContain('Walnut Riser (old model)');
  });
});

describe(`a closed account on ${databaseKind}`, () => {
  it("erases the holder's data, refuses its tokens everywhere within the poll interval, and keeps its orders readable", async () => {
    const email = `grace-${process.pid}@shop.test`;
    const signUp = await supergraph.request<{ signUp: { token: string; user: { id: string } } }>(
      'mutation ($input: SignUpInput!) { signUp(input: $input) { token user { id } } }',
      { input: { email, name: 'Grace Hopper', password: 'cobol-1959-rocks' } },
    );
    const token = signUp.body.data?.signUp.token as string;
    const userId = signUp.body.data?.signUp.user.id as string;
    const order = await placeOrder((await newProduct('Compiler Mug')).id, token);
    expect(order.body.data?.placeOrder.status).toBe('CONFIRMED');

    const close = (password: string) =>
      supergraph.request<{ closeAccount: boolean }>(
        'mutation ($password: String!) { closeAccount(password: $password) }',
        { password },
        { token },
      );
    const wrong = await close('not-my-password');
    expect(errorCodes(wrong)).toEqual(['BAD_USER_INPUT']);
    expect(wrong.body.errors?.[0]?.extensions?.field).toBe('password');
    const closedAt = Date.now();
    expect((await close('cobol-1959-rocks')).body.data?.closeAccount).toBe(true);

    const logIn = await supergraph.request(
      'mutation ($email: String!) { logIn(email: $email, password: "cobol-1959-rocks") { token } }',
      { email },
    );
    expect(errorCodes(logIn)).toEqual(['UNAUTHENTICATED']);

    // The token stops working at the router and at every subgraph (called directly), within the interval.
    const refusedAt = async (url: string) => {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      const body = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
      return response.status === 401 && body.errors?.[0]?.extensions?.code === 'UNAUTHENTICATED';
    };
    const everywhere = [supergraph.routerUrl, ...Object.values(supergraph.subgraphUrls)];
    await until(async () => (await Promise.all(everywhere.map(refusedAt))).every(Boolean), 10 * POLL_MS);
    console.info(
      `closed account refused by all 5 services ${Date.now() - closedAt} ms after closing (poll ${POLL_MS} ms)`,
    );
    const me = await supergraph.request('{ me { name } }', {}, { token });
    expect(me.status).toBe(401);
    expect(me.body.errors?.[0]?.message).toContain('closed');

    // The shop's books: admins still read the order, with its customer shown as closed.
    const books = await supergraph.request<{ order: { user: { name: string; email: string; closedAt: string } } }>(
      'query ($id: ID!) { order(id: $id) { number user { name email closedAt } } }',
      { id: order.body.data?.placeOrder.id },
      { token: admin },
    );
    expect(books.body.errors).toBeUndefined();
    expect(books.body.data?.order.user.name).toBe('Closed account');
    expect(books.body.data?.order.user.email).not.toContain('grace');
    expect(books.body.data?.order.user.closedAt).toEqual(expect.any(String));
    const user = await supergraph.request<{ user: { id: string } }>(
      'query ($id: ID!) { user(id: $id) { id closedAt } }',
      { id: userId },
      { token: admin },
    );
    expect(user.body.errors).toBeUndefined();

    // A service started after the closure (a restart, a new replica) remembers nothing, so it asks users before
    // it serves a signed-in request: the closed account's token is refused from its very first request. With
    // users unreachable it cannot check tokens, and says so (SERVICE_UNAVAILABLE), rather than trusting them.
    const common = {
      ORDERS_DATABASE_URL: MEMORY_DATABASE_URL,
      JWT_PUBLIC_KEY: supergraph.keys.publicPem,
      INTERNAL_API_TOKEN: supergraph.internalToken,
      PRODUCTS_URL: supergraph.subgraphUrls.products,
    };
    const fresh = await startSubgraphProcess('orders', { ...common, USERS_URL: supergraph.subgraphUrls.users });
    const blind = await startSubgraphProcess('orders', { ...common, USERS_URL: 'http://127.0.0.1:9/graphql' });
    try {
      expect(await refusedAt(fresh.url)).toBe(true);
      const unchecked = await fetch(blind.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      const body = (await unchecked.json()) as { errors?: { extensions?: { code?: string } }[] };
      expect([unchecked.status, body.errors?.[0]?.extensions?.code]).toEqual([503, 'SERVICE_UNAVAILABLE']);
    } finally {
      await fresh.stop();
      await blind.stop();
    }
  });
});

describe(`nullability when an owner fails, on ${databaseKind}`, () => {
  it('FAQ down: products still list, faqs null, and the error names the service', async () => {
    await supergraph.stopSubgraph('faq');
    try {
      const response = await supergraph.request<{ products: { edges: { node: { name: string; faqs: null } }[] } }>(
        '{ products(first: 3) { edges { node { name faqs { question } } } } }',
      );
      expect(response.body.data?.products.edges.map((edge) => edge.node.name)).toHaveLength(3);
      expect(response.body.data?.products.edges.every((edge) => edge.node.faqs === null)).toBe(true);
      expect(errorCodes(response)).toContain('SERVICE_UNAVAILABLE');
      expect(response.body.errors?.[0]?.extensions?.serviceName).toBe('faq');
    } finally {
      await supergraph.restartSubgraph('faq');
    }
  });

  it('products down: an order item cannot do without its product, so `me` (a nullable root) is null, with an error', async () => {
    await supergraph.stopSubgraph('products');
    try {
      const response = await supergraph.request<MyOrders>(MY_ORDERS, {}, { token: ada });
      expect(response.body.data?.me).toBeNull();
      expect(errorCodes(response)).toContain('SERVICE_UNAVAILABLE');
      const nullRoot = await supergraph.request<{ product: null }>('{ product(sku: "KB-ALU-75") { name } }');
      expect(nullRoot.body.data?.product).toBeNull();
      expect(errorCodes(nullRoot)).toEqual(['SERVICE_UNAVAILABLE']);
    } finally {
      await supergraph.restartSubgraph('products');
    }
  });

  it('users down: an order cannot do without its user, so `order` is null, with an error', async () => {
    const mine = await supergraph.request<MyOrders>(MY_ORDERS, {}, { token: ada });
    const orderId = mine.body.data?.me?.orders.edges[0]?.node.id;
    await supergraph.stopSubgraph('users');
    try {
      const response = await supergraph.request<{ order: null }>(
        'query ($id: ID!) { order(id: $id) { number user { name } } }',
        { id: orderId },
        { token: admin },
      );
      expect(response.body.data?.order).toBeNull();
      expect(errorCodes(response)).toContain('SERVICE_UNAVAILABLE');
    } finally {
      await supergraph.restartSubgraph('users');
    }
  });

  it('an owner that answers nothing for a reference: the emptied field is an INCOMPLETE_DATA error, not silence', async () => {
    const { id: productId } = await newProduct('Hard-deleted Lamp');
    expect((await placeOrder(productId, ada)).body.data?.placeOrder.status).toBe('CONFIRMED');
    // As an operator deleting the row by hand would: products no longer knows the id.
    await (supergraph.prisma.products as SqlClient).$executeRawUnsafe(
      'DELETE FROM products WHERE id = $1::uuid',
      productId,
    );
    // A row deleted behind the services' back: ask a router without a cache, as the other tests here do.
    const uncached = await supergraph.startRouter({ CACHE: 'off' });
    const response = await supergraph.request<MyOrders>(MY_ORDERS, {}, { token: ada, url: uncached.url });
    await uncached.stop();
    expect(response.body.data?.me).toBeNull();
    expect(response.body.extensions?.valueCompletion).toBeUndefined();
    expect(errorCodes(response)).toContain('INCOMPLETE_DATA');
    const error = response.body.errors?.find((candidate) => candidate.extensions?.code === 'INCOMPLETE_DATA');
    expect(error?.path?.[0]).toBe('me');
    expect(error?.message).toContain('Product');
  });
});
