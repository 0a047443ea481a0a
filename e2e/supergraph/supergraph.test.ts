import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCodes, type GraphQLResponse, type Supergraph, startSupergraph } from '../harness/supergraph.js';

let supergraph: Supergraph;
let ada: string;
let admin: string;

beforeAll(async () => {
  supergraph = await startSupergraph();
  [ada, admin] = await Promise.all([supergraph.logInAs('ada'), supergraph.logInAs('admin')]);
});
afterAll(() => supergraph?.close());

const codes = errorCodes;

describe('queries across the four services', () => {
  it('answers the README example: my orders, their products and the products FAQs', async () => {
    const response = await supergraph.request<{
      me: {
        name: string;
        orders: {
          edges: { node: { number: string; items: { product: { name: string; faqs: { question: string }[] } }[] } }[];
        };
      };
    }>(
      `{ me { name orders { edges { node { number items { quantity product { name faqs { question } } } } } } } }`,
      {},
      { token: ada },
    );
    expect(response.body.errors).toBeUndefined();
    const me = response.body.data?.me;
    expect(me?.name).toBe('Ada Lovelace');
    const orders = me?.orders.edges.map((edge) => edge.node) ?? [];
    expect(orders.map((order) => order.number)).toEqual(['SO-000004', 'SO-000003', 'SO-000002', 'SO-000001']);
    const first = orders.at(-1)?.items.map((item) => item.product.name);
    expect(first).toEqual(['Aluminium 75% Keyboard', 'PBT Keycap Set']);
    const keyboardFaqs = orders.at(-1)?.items[0]?.product.faqs.map((faq) => faq.question);
    expect(keyboardFaqs).toEqual(['Can I change the switches on the 75% keyboard?', 'Which layouts are available?']);
  });

  it('lists products with their FAQs, and FAQs with their products', async () => {
    const products = await supergraph.request<{ products: { edges: { node: { sku: string; faqs: unknown[] } }[] } }>(
      '{ products(first: 100) { edges { node { sku name faqs { question } } } } }',
    );
    const bySku = new Map(products.body.data?.products.edges.map((edge) => [edge.node.sku, edge.node.faqs.length]));
    expect(bySku.size).toBe(26);
    expect(bySku.get('KB-ALU-75')).toBe(2);
    expect(bySku.get('DK-STAND-ELEC')).toBe(2);
    expect(bySku.get('LT-STRIP-RGB')).toBe(0);

    const faqs = await supergraph.request<{
      faqs: { edges: { node: { topic: string; product: { sku: string } | null } }[] };
    }>('{ faqs(topic: "product", first: 50) { edges { node { topic product { sku price { amount } } } } } }');
    const skus = faqs.body.data?.faqs.edges.map((edge) => edge.node.product?.sku);
    expect(skus).toHaveLength(8);
    expect(skus).toContain('CF-GRIND-BURR');
  });

  it('resolves a product by SKU as well as by id', async () => {
    const bySku = await supergraph.request<{ product: { id: string; name: string } }>(
      '{ product(sku: "CF-MUG-CERAMIC") { id name } }',
    );
    expect(bySku.body.data?.product.name).toBe('Ceramic Mug');
    const byId = await supergraph.request<{ product: { sku: string } }>(
      'query ($id: ID) { product(id: $id) { sku } }',
      {
        id: bySku.body.data?.product.id,
      },
    );
    expect(byId.body.data?.product.sku).toBe('CF-MUG-CERAMIC');
  });

  it("echoes the caller's x-request-id and logs it in the router and every subgraph the query touched", async () => {
    const response = await supergraph.request(
      '{ me { orders { edges { node { items { product { name faqs { question } } } } } } } }',
      {},
      { token: ada, headers: { 'x-request-id': 'test-request-42' } },
    );
    expect(response.headers.get('x-request-id')).toBe('test-request-42');
    const services = supergraph.logLines
      .filter((line) => line.requestId === 'test-request-42')
      .map((line) => line.service);
    expect(new Set(services)).toEqual(new Set(['router', 'users', 'orders', 'products', 'faq']));
  });

  it('gives each request without an id a fresh one', async () => {
    const response = await supergraph.request('{ categories { slug } }');
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('pagination, filters and ordering', () => {
  it('walks every page exactly once', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let totalCount = 0;
    type Page = {
      products: {
        totalCount: number;
        edges: { node: { id: string } }[];
        pageInfo: { hasNextPage: boolean; endCursor: string };
      };
    };
    for (let page = 0; page < 20; page++) {
      const response: GraphQLResponse<Page> = await supergraph.request<Page>(
        'query ($after: String) { products(first: 5, after: $after, orderBy: PRICE_ASC) { totalCount edges { node { id } } pageInfo { hasNextPage endCursor } } }',
        { after },
      );
      const connection = response.body.data?.products;
      if (!connection) throw new Error(JSON.stringify(response.body.errors));
      totalCount = connection.totalCount;
      seen.push(...connection.edges.map((edge) => edge.node.id));
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    expect(seen).toHaveLength(totalCount);
    expect(new Set(seen).size).toBe(totalCount);
    expect(totalCount).toBe(26);
  });

  it('searches name, description and SKU case-insensitively', async () => {
    const search = async (text: string) => {
      const response = await supergraph.request<{ products: { edges: { node: { sku: string } }[] } }>(
        'query ($text: String) { products(first: 100, filter: { search: $text }) { edges { node { sku } } } }',
        { text },
      );
      return response.body.data?.products.edges.map((edge) => edge.node.sku).sort();
    };
    expect(await search('HEADPHONES')).toEqual(['AU-DAC-MINI', 'AU-HP-ANC', 'AU-HP-OPEN']); // DAC: "drives most headphones"
    expect(await search('cf-beans')).toEqual(['CF-BEANS-COL', 'CF-BEANS-ETH']);
    expect(await search('no such thing')).toEqual([]);
  });

  it('filters by category, price range and stock, and orders by price', async () => {
    const response = await supergraph.request<{
      products: { totalCount: number; edges: { node: { sku: string; price: { amount: number } } }[] };
    }>(
      '{ products(first: 100, orderBy: PRICE_DESC, filter: { category: "coffee", minPrice: 1300, maxPrice: 14000, inStock: true }) { totalCount edges { node { sku price { amount } } } } }',
    );
    const nodes = response.body.data?.products.edges.map((edge) => edge.node) ?? [];
    expect(nodes.map((node) => node.sku)).toEqual([
      'CF-GRIND-BURR',
      'CF-KETTLE-GOOSE',
      'CF-MUG-CERAMIC',
      'CF-BEANS-ETH',
    ]);
    expect(response.body.data?.products.totalCount).toBe(4);

    const soldOut = await supergraph.request<{ products: { edges: { node: { sku: string } }[] } }>(
      '{ products(filter: { inStock: false }) { edges { node { sku } } } }',
    );
    expect(soldOut.body.data?.products.edges.map((edge) => edge.node.sku)).toEqual(['KB-WRIST-OAK']);
  });

  it("pages a category's products", async () => {
    const response = await supergraph.request<{
      categories: {
        slug: string;
        products: { totalCount: number; edges: unknown[]; pageInfo: { hasNextPage: boolean } };
      }[];
    }>('{ categories { slug products(first: 2) { totalCount edges { node { name } } pageInfo { hasNextPage } } } }');
    const keyboards = response.body.data?.categories.find((category) => category.slug === 'keyboards');
    expect(keyboards?.products.totalCount).toBe(6);
    expect(keyboards?.products.edges).toHaveLength(2);
    expect(keyboards?.products.pageInfo.hasNextPage).toBe(true);
  });
});

describe('validation errors carry a code', () => {
  it.each([
    ['first over the cap', '{ products(first: 101) { totalCount } }'],
    ['negative first', '{ products(first: -1) { totalCount } }'],
    ['a cursor we never issued', '{ products(after: "not-a-cursor") { totalCount } }'],
    ['a malformed id', '{ product(id: "42") { name } }'],
    ['both id and sku', '{ product(id: "42", sku: "X") { name } }'],
    ['a negative price bound', '{ products(filter: { minPrice: -1 }) { totalCount } }'],
    ['a malformed FAQ product id', '{ faqs(productId: "x") { totalCount } }'],
  ])('%s → BAD_USER_INPUT', async (_case, query) => {
    const response = await supergraph.request(query);
    expect(codes(response)).toEqual(['BAD_USER_INPUT']);
  });

  it('rejects invalid orders with BAD_USER_INPUT, unknown products with NOT_FOUND, too many with OUT_OF_STOCK', async () => {
    const place = (items: { productId: string; quantity: number }[]) =>
      supergraph.request(
        'mutation ($items: [OrderItemInput!]!) { placeOrder(input: { items: $items }) { id } }',
        { items },
        { token: ada },
      );
    const mug = await supergraph.request<{ product: { id: string } }>('{ product(sku: "CF-MUG-CERAMIC") { id } }');
    const mugId = mug.body.data?.product.id as string;
    expect(codes(await place([{ productId: mugId, quantity: -1 }]))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await place([{ productId: mugId, quantity: 0 }]))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await place([]))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await place([{ productId: '00000000-0000-4000-8000-000000000000', quantity: 1 }]))).toEqual([
      'NOT_FOUND',
    ]);
    const tooMany = await place([{ productId: mugId, quantity: 999 }]);
    expect(codes(tooMany)).toEqual(['OUT_OF_STOCK']);
    expect(tooMany.body.errors?.[0]?.message).toContain('Ceramic Mug');
  });

  it('rejects empty product names from admins with BAD_USER_INPUT', async () => {
    const response = await supergraph.request(
      'mutation { createProduct(input: { sku: "NEW-1", name: "  ", description: "d", price: { amount: 100, currency: "EUR" }, stock: 1 }) { id } }',
      {},
      { token: admin },
    );
    expect(codes(response)).toEqual(['BAD_USER_INPUT']);
  });
});

describe('placing and cancelling an order', () => {
  it('copies current prices, takes stock, and gives it back once on cancel', async () => {
    const stockOf = async () =>
      (
        await supergraph.request<{ product: { id: string; stock: number; price: { amount: number } } }>(
          '{ product(sku: "LT-LAMP-LED") { id stock price { amount } } }',
        )
      ).body.data?.product as { id: string; stock: number; price: { amount: number } };
    const before = await stockOf();
    const placed = await supergraph.request<{
      placeOrder: {
        id: string;
        status: string;
        total: { amount: number };
        items: { unitPrice: { amount: number }; lineTotal: { amount: number } }[];
      };
    }>(
      'mutation ($id: ID!) { placeOrder(input: { items: [{ productId: $id, quantity: 3 }] }) { id status total { amount } items { unitPrice { amount } lineTotal { amount } } } }',
      { id: before.id },
      { token: ada },
    );
    const order = placed.body.data?.placeOrder;
    expect(order?.status).toBe('CONFIRMED');
    expect(order?.items[0]?.unitPrice.amount).toBe(before.price.amount);
    expect(order?.total.amount).toBe(3 * before.price.amount);
    expect((await stockOf()).stock).toBe(before.stock - 3);

    const cancel = () =>
      supergraph.request<{ cancelOrder: { status: string } }>(
        'mutation ($id: ID!) { cancelOrder(id: $id) { status } }',
        { id: order?.id },
        { token: ada },
      );
    expect((await cancel()).body.data?.cancelOrder.status).toBe('CANCELLED');
    expect((await cancel()).body.data?.cancelOrder.status).toBe('CANCELLED');
    expect((await stockOf()).stock).toBe(before.stock);
  });
});
