import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCodes, type GraphQLResponse, type Supergraph, startSupergraph } from '../harness/supergraph.js';

/**
 * Ordinary mistakes a client makes, each answered with a clear, coded error (or a documented null), through the
 * router and straight to the subgraph that owns the field. Development mode: where detail could leak.
 */
let supergraph: Supergraph;
let routerUrl: string;
let admin: string;
let ada: string;

beforeAll(async () => {
  supergraph = await startSupergraph({ env: { NODE_ENV: 'development' } });
  routerUrl = (await supergraph.startRouter({ NODE_ENV: 'development' })).url;
  admin = await supergraph.logInAs('admin');
  ada = await supergraph.logInAs('ada');
});
afterAll(() => supergraph?.close());

type Via = 'router' | 'subgraph';
const VIAS: Via[] = ['router', 'subgraph'];

function ask(via: Via, service: string, query: string, variables: Record<string, unknown> = {}, token?: string) {
  const url = via === 'router' ? routerUrl : (supergraph.subgraphUrls[service] as string);
  return supergraph.request(query, variables, { url, ...(token ? { token } : {}) });
}

/** One coded error, its field named, its message plain: no stack, no ORM, no SQL. */
function expectRefused(response: GraphQLResponse, code: string, field?: string) {
  expect(response.status).toBeLessThan(500);
  expect(errorCodes(response)).toEqual([code]);
  const [error] = response.body.errors ?? [];
  if (field) expect(error?.extensions?.field).toBe(field);
  expect(error?.extensions?.stacktrace).toBeUndefined();
  expect(error?.message).not.toMatch(/prisma|invocation|\.ts:\d|SQL|postgres|syntax for type|Syntax Error/i);
  return error?.message ?? '';
}

const PRODUCTS_PAGE = `query ($orderBy: ProductOrderBy, $after: String, $search: String) {
  products(orderBy: $orderBy, first: 2, after: $after, filter: { search: $search }) { edges { cursor node { name } } }
}`;

async function cursorOf(via: Via, service: string, query: string, pick: (data: never) => string, token?: string) {
  const response = await ask(via, service, query, {}, token);
  return pick(response.body.data as never);
}

describe.each(VIAS)('through the %s', (via) => {
  it('refuses a cursor from another ordering or another list, naming both', async () => {
    const byPrice = await cursorOf(
      via,
      'products',
      '{ products(orderBy: PRICE_ASC, first: 1) { pageInfo { endCursor } } }',
      (data: { products: { pageInfo: { endCursor: string } } }) => data.products.pageInfo.endCursor,
    );
    const newest = await cursorOf(
      via,
      'products',
      '{ products(first: 1) { pageInfo { endCursor } } }',
      (data: { products: { pageInfo: { endCursor: string } } }) => data.products.pageInfo.endCursor,
    );
    const faqs = await cursorOf(
      via,
      'faq',
      '{ faqs(first: 1) { pageInfo { endCursor } } }',
      (data: { faqs: { pageInfo: { endCursor: string } } }) => data.faqs.pageInfo.endCursor,
    );

    const message = expectRefused(
      await ask(via, 'products', PRODUCTS_PAGE, { orderBy: 'NAME_ASC', after: byPrice }),
      'BAD_USER_INPUT',
      'after',
    );
    expect(message).toContain('products:PRICE_ASC, not products:NAME_ASC');
    expectRefused(
      await ask(via, 'products', PRODUCTS_PAGE, { orderBy: 'PRICE_ASC', after: newest }),
      'BAD_USER_INPUT',
      'after',
    );
    expectRefused(await ask(via, 'products', PRODUCTS_PAGE, { after: faqs }), 'BAD_USER_INPUT', 'after');
    // The same cursor continues its own list.
    const next = await ask(via, 'products', PRODUCTS_PAGE, { orderBy: 'PRICE_ASC', after: byPrice });
    expect(next.body.errors).toBeUndefined();
  });

  it('refuses a cursor made or edited by hand', async () => {
    const forged = Buffer.from(
      JSON.stringify(['products:NEWEST', 'd', '2026-01-01T00:00:00.000Z', 'not-a-uuid']),
    ).toString('base64url');
    const message = expectRefused(
      await ask(via, 'products', PRODUCTS_PAGE, { after: forged }),
      'BAD_USER_INPUT',
      'after',
    );
    expect(message).toContain('not a cursor this API issued');
    expectRefused(await ask(via, 'products', PRODUCTS_PAGE, { after: 'garbage' }), 'BAD_USER_INPUT', 'after');
  });

  it.each([
    [
      'products',
      'query ($text: String) { products(filter: { search: $text }) { totalCount } }',
      'filter.search',
      undefined,
    ],
    ['faq', 'query ($text: String) { faqs(search: $text) { totalCount } }', 'search', undefined],
    [
      'users',
      'mutation ($text: String!) { signUp(input: { email: "nul@shop.test", name: $text, password: "a-fine-password" }) { token } }',
      'input.name',
      undefined,
    ],
  ])('refuses a NUL character in %s text (%s)', async (service, query, field) => {
    const message = expectRefused(await ask(via, service, query, { text: 'Mug\u0000' }), 'BAD_USER_INPUT', field);
    expect(message).toContain('control character U+0000');
    expectRefused(await ask(via, service, query, { text: 'lone \ud800 half' }), 'BAD_USER_INPUT', field);
  });

  it('refuses every malformed id the same way: BAD_USER_INPUT naming the argument', async () => {
    const cases: [string, string, string | undefined][] = [
      ['products', '{ product(id: "!!") { id } }', undefined],
      ['orders', '{ order(id: "zzz") { id } }', ada],
      ['faq', '{ faq(id: "nope") { id } }', undefined],
      ['users', '{ user(id: "nope") { id } }', ada],
      ['orders', 'mutation { cancelOrder(id: "nope") { id } }', ada],
    ];
    for (const [service, query, token] of cases) {
      const message = expectRefused(await ask(via, service, query, {}, token), 'BAD_USER_INPUT', 'id');
      expect(message).toBe('id is not a valid id (ids are the UUIDs this API returns)');
    }
    const placed = await ask(
      via,
      'orders',
      'mutation { placeOrder(input: { items: [{ productId: "nope", quantity: 1 }] }) { id } }',
      {},
      ada,
    );
    expectRefused(placed, 'BAD_USER_INPUT', 'input.items[0].productId');
  });

  it('answers a well-formed id that names nothing with null from a query and NOT_FOUND from a mutation', async () => {
    const unknown = '6f1c2a4e-9b3d-4c5e-8f7a-1b2c3d4e5f60';
    for (const [service, field, token] of [
      ['products', 'product', undefined],
      ['orders', 'order', ada],
      ['faq', 'faq', undefined],
      ['users', 'user', admin],
    ] as const) {
      const response = await ask(via, service, `{ ${field}(id: "${unknown}") { id } }`, {}, token);
      expect(response.body).toEqual({ data: { [field]: null } });
    }
    expectRefused(await ask(via, 'orders', `mutation { cancelOrder(id: "${unknown}") { id } }`, {}, ada), 'NOT_FOUND');
  });

  it('says what is wrong with a token', async () => {
    const headers = (authorization: string) => ({ headers: { authorization } });
    const query = '{ me { id } }';
    const url = via === 'router' ? routerUrl : supergraph.subgraphUrls.users;
    const garbage = await supergraph.request(query, {}, { url, ...headers('Bearer garbage') });
    expect(garbage.status).toBe(401);
    expect(expectRefused(garbage, 'UNAUTHENTICATED')).toBe(
      'the bearer token is not one this shop issues (three dot-separated parts); log in again',
    );
    const noScheme = await supergraph.request(query, {}, { url, ...headers(ada) });
    expect(expectRefused(noScheme, 'UNAUTHENTICATED')).toContain('"Bearer " followed by the token');
    // The signature's first characters, which always carry its bits: its last ones barely do (an Ed25519
    // signature's final bits are nearly always zero, and base64url's last character has spare bits), so
    // replacing those can leave the signature's bytes unchanged (the likeliest reading of one CI run where the
    // altered token was accepted).
    const signatureAt = ada.lastIndexOf('.') + 1;
    const flipped = ada[signatureAt] === 'A' ? 'B' : 'A';
    const alteredToken = `${ada.slice(0, signatureAt)}${flipped}${ada.slice(signatureAt + 1)}`;
    const altered = await supergraph.request(query, {}, { url, ...headers(`Bearer ${alteredToken}`) });
    expect(expectRefused(altered, 'UNAUTHENTICATED')).toContain('not issued by this shop, or was altered');
    // The scheme is case-insensitive.
    const lowerCase = await supergraph.request<{ me: { id: string } }>(query, {}, { url, ...headers(`bearer ${ada}`) });
    expect(lowerCase.body.data?.me.id).toEqual(expect.any(String));
  });

  it('answers variables with more than 50 invalid values with BAD_USER_INPUT, as for a few', async () => {
    const items = Array.from({ length: 60 }, () => ({ quantity: 0 })); // each lacks its productId
    const response = await ask(
      via,
      'orders',
      'mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }',
      { input: { items } },
      ada,
    );
    expect(new Set(errorCodes(response))).toEqual(new Set(['BAD_USER_INPUT']));
    // A subgraph's graphql-js lists the first 50, then gives up with a message of its own, which becomes ours.
    if (via === 'subgraph') {
      expect(response.body.errors?.at(-1)?.message).toBe(
        'the variables hold more than 50 values that do not fit their types; correct them and send again',
      );
    }
  });

  it('matches LIKE wildcards literally in searches', async () => {
    const search = async (text: string) =>
      (
        (await ask(via, 'products', PRODUCTS_PAGE, { search: text })).body.data as {
          products: { edges: { node: { name: string } }[] };
        }
      ).products.edges.map((edge) => edge.node.name);
    const percent = await search('%');
    expect(percent.length).toBeGreaterThan(0); // the seed has keyboards named "… 75% …" and "… 60% …"
    for (const name of percent) expect(name).toContain('%');
    expect(await search('_')).toEqual([]);
  });
});

describe('through the router', () => {
  it('tells `curl /` how to send an operation, without a stack trace', async () => {
    const response = await fetch(routerUrl.replace(/\/graphql$/, '/'));
    expect(response.status).toBe(400);
    const body = (await response.json()) as GraphQLResponse['body'];
    expect(body.errors?.[0]?.extensions).toEqual({ code: 'BAD_REQUEST' });
    expect(body.errors?.[0]?.message).toContain('POST {"query": "…"} with content-type: application/json');

    // A GET with a query but none of the headers a browser form cannot send: Apollo's CSRF refusal, in our words.
    const get = await fetch(`${routerUrl}?query=${encodeURIComponent('{ categories { slug } }')}`);
    expect(get.status).toBe(400);
    expect(await get.json()).toEqual({
      errors: [
        {
          message:
            'refused as a possible cross-site request forgery: send content-type: application/json, or for a GET the header apollo-require-preflight: true',
          extensions: { code: 'BAD_REQUEST' },
        },
      ],
    });
  });

  it('gives the explorer an inline icon, so no /favicon.ico is asked for', async () => {
    const page = await (await fetch(routerUrl, { headers: { accept: 'text/html' } })).text();
    expect(page).toMatch(/<link rel="icon" href="data:image\/svg\+xml,/);
  });

  it("words the query limits' rejections itself", async () => {
    const costly = `{ ${Array.from({ length: 8 }, (_, i) => `p${i}: products(first: 100) { edges { node { category { products(first: 100) { edges { node { faqs { question } } } } } } } }`).join(' ')} }`;
    const cost = await supergraph.request(costly, {}, { url: routerUrl });
    expect(cost.status).toBe(400);
    expect(errorCodes(cost)).toContain('QUERY_TOO_COMPLEX');
    expect(cost.body.errors?.find((error) => error.extensions?.code === 'QUERY_TOO_COMPLEX')?.message).toMatch(
      /^the operation's estimated cost is \d+, over the limit of 25000/,
    );
    const long = await supergraph.request(`{ ${'__typename '.repeat(2100)}}`, {}, { url: routerUrl });
    expect(errorCodes(long)).toEqual(['TOO_MANY_TOKENS']);
    expect(long.body.errors?.[0]?.message).toBe(
      'the document has more than 2000 tokens (names, punctuation and values); send a shorter one',
    );
  });

  it('refuses an FAQ about a product that does not exist, and a restock past the maximum', async () => {
    const faq = await supergraph.request(
      'mutation { createFaq(input: { question: "Q?", answer: "A.", topic: "t", productId: "6f1c2a4e-9b3d-4c5e-8f7a-1b2c3d4e5f60" }) { id } }',
      {},
      { url: routerUrl, token: admin },
    );
    expect(expectRefused(faq, 'NOT_FOUND', 'input.productId')).toContain('does not exist');
    const { id } = await supergraph.createProduct(admin, { name: 'Restocked', stock: 5 });
    const restock = await supergraph.request(
      `mutation { restockProduct(id: "${id}", quantity: 2147483647) { stock } }`,
      {},
      { url: routerUrl, token: admin },
    );
    expect(expectRefused(restock, 'BAD_USER_INPUT', 'quantity')).toContain('at most 1000000000 units');
  });
});
