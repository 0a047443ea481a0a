import { generateKeyPair, importPKCS8, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCodes, type Supergraph, startSupergraph } from '../harness/supergraph.js';

let supergraph: Supergraph;
let ada: string;
let linus: string;
let admin: string;
let adaId: string;

beforeAll(async () => {
  supergraph = await startSupergraph();
  [ada, linus, admin] = await Promise.all([
    supergraph.logInAs('ada'),
    supergraph.logInAs('linus'),
    supergraph.logInAs('admin'),
  ]);
  const me = await supergraph.request<{ me: { id: string } }>('{ me { id } }', {}, { token: ada });
  adaId = me.body.data?.me.id as string;
});
afterAll(() => supergraph?.close());

const codes = errorCodes;

/** An operation sent straight to one subgraph, past the router: its own checks (defence in depth). */
async function straightTo(subgraph: string, query: string, variables: Record<string, unknown> = {}, token?: string) {
  const response = await fetch(supergraph.subgraphUrls[subgraph] as string, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { body: (await response.json()) as { errors?: { extensions?: Record<string, unknown> }[] } };
}
const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const claims = (overrides: Record<string, unknown> = {}) => ({ role: 'ADMIN', ...overrides });

async function sign(
  options: {
    key?: Parameters<SignJWT['sign']>[0];
    expiresIn?: string;
    issuer?: string;
    audience?: string;
    subject?: string;
  } = {},
) {
  const key = options.key ?? (await importPKCS8(supergraph.keys.privatePem as string, 'EdDSA'));
  return new SignJWT(claims())
    .setProtectedHeader({ alg: 'EdDSA' })
    .setSubject(options.subject ?? adaId)
    .setIssuer(options.issuer ?? 'shop-supergraph/users')
    .setAudience(options.audience ?? 'shop-supergraph')
    .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
    .setExpirationTime(options.expiresIn ?? '1h')
    .sign(key);
}

/** Every forged or broken credential we try, as Authorization header values. */
async function attacks(): Promise<[string, string][]> {
  const otherKey = (await generateKeyPair('EdDSA', { crv: 'Ed25519' })).privateKey;
  const [header, , signature] = ada.split('.');
  return [
    ['an expired token', `Bearer ${await sign({ expiresIn: '-1h' })}`],
    ['a token signed with another key', `Bearer ${await sign({ key: otherKey })}`],
    [
      'alg: none',
      `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: adaId, ...claims(), iss: 'shop-supergraph/users', aud: 'shop-supergraph', exp: 9999999999 })}.`,
    ],
    [
      'HS256 with the public key as the secret',
      `Bearer ${await new SignJWT(claims())
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(adaId)
        .setIssuer('shop-supergraph/users')
        .setAudience('shop-supergraph')
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode(supergraph.keys.publicPem))}`,
    ],
    [
      'a tampered payload (role raised to ADMIN)',
      `Bearer ${header}.${b64({ sub: adaId, ...claims(), iss: 'shop-supergraph/users', aud: 'shop-supergraph', exp: 9999999999 })}.${signature}`,
    ],
    ['another audience', `Bearer ${await sign({ audience: 'someone-else' })}`],
    ['another issuer', `Bearer ${await sign({ issuer: 'evil' })}`],
    ['no Bearer prefix', ada],
    ['a Basic header', `Basic ${Buffer.from('admin@shop.test:shop-admin-dev').toString('base64')}`],
    ['garbage', 'Bearer not.a.token'],
  ];
}

describe('bad credentials are refused by the router before any subgraph is called', () => {
  it('rejects every forged or broken token with 401 UNAUTHENTICATED', async () => {
    for (const [attack, authorization] of await attacks()) {
      const before = { ...supergraph.subgraphRequests };
      supergraph.sql.reset();
      const response = await supergraph.request(
        '{ me { id email } orders { totalCount } }',
        {},
        { headers: { authorization } },
      );
      expect(response.status, attack).toBe(401);
      expect(codes(response), attack).toEqual(['UNAUTHENTICATED']);
      expect(supergraph.subgraphRequests, attack).toEqual(before);
      expect(supergraph.sql.total(), attack).toBe(0);
    }
  });
});

describe('subgraphs do not trust identity they cannot verify', () => {
  it('rejects the same tokens sent straight to each subgraph', async () => {
    const queries = {
      users: '{ me { id } }',
      products: '{ products(first: 1) { totalCount } }',
      orders: '{ orders { totalCount } }',
      faq: '{ faqs(first: 1) { totalCount } }',
    } as const;
    for (const [service, query] of Object.entries(queries) as [keyof typeof queries, string][]) {
      for (const [attack, authorization] of await attacks()) {
        const response = await supergraph.request(
          query,
          {},
          { url: supergraph.subgraphUrls[service], headers: { authorization } },
        );
        expect(response.status, `${service}: ${attack}`).toBe(401);
        expect(codes(response), `${service}: ${attack}`).toEqual(['UNAUTHENTICATED']);
      }
    }
  });

  it('ignores made-up identity headers: without a valid token nobody is signed in', async () => {
    const forged = {
      'x-user-id': adaId,
      'x-user-role': 'ADMIN',
      'x-viewer': JSON.stringify({ id: adaId, role: 'ADMIN' }),
    };
    const direct = (service: 'users' | 'products' | 'orders' | 'faq', query: string) =>
      supergraph.request(query, {}, { url: supergraph.subgraphUrls[service], headers: forged });
    expect(codes(await direct('users', '{ users { totalCount } }'))).toEqual(['UNAUTHENTICATED']);
    expect((await direct('users', '{ me { id } }')).body.data).toEqual({ me: null });
    expect(codes(await direct('orders', '{ orders { totalCount } }'))).toEqual(['UNAUTHENTICATED']);
    expect(
      codes(await direct('products', 'mutation { deleteProduct(id: "00000000-0000-4000-8000-000000000000") }')),
    ).toEqual(['UNAUTHENTICATED']);
    expect(
      codes(
        await direct(
          'products',
          'mutation { reserveStock(orderId: "00000000-0000-4000-8000-000000000001", items: [{ productId: "00000000-0000-4000-8000-000000000000", quantity: 1 }]) { quantity } }',
        ),
      ),
    ).toEqual(['UNAUTHENTICATED']);
    expect(codes(await direct('faq', 'mutation { deleteFaq(id: "00000000-0000-4000-8000-000000000000") }'))).toEqual([
      'UNAUTHENTICATED',
    ]);
  });

  it('keeps stock operations internal: a customer or admin token straight to products is not enough', async () => {
    for (const token of [ada, admin]) {
      const response = await supergraph.request(
        'mutation { releaseStock(orderId: "00000000-0000-4000-8000-000000000001") }',
        {},
        { url: supergraph.subgraphUrls.products, token },
      );
      expect(codes(response)).toEqual(['UNAUTHENTICATED']);
    }
    const wrongSecret = await supergraph.request(
      'mutation { releaseStock(orderId: "00000000-0000-4000-8000-000000000001") }',
      {},
      { url: supergraph.subgraphUrls.products, headers: { 'x-internal-token': 'x'.repeat(43) } },
    );
    expect(codes(wrongSecret)).toEqual(['UNAUTHENTICATED']);
  });

  it('keeps the internal stock fields out of the public supergraph', async () => {
    const response = await supergraph.request(
      'mutation { reserveStock(items: []) { quantity } }',
      {},
      { token: admin },
    );
    expect(codes(response)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });
});

describe('an account from sign-up to orders', () => {
  it('signs up, logs in, places an order and sees it; another customer cannot read or cancel it; an admin can', async () => {
    const signUp = await supergraph.request<{ signUp: { token: string; user: { email: string; role: string } } }>(
      'mutation { signUp(input: { email: "  Margaret@Shop.TEST ", name: "Margaret Hamilton", password: "apollo-11-landing" }) { token user { email role } } }',
    );
    expect(signUp.body.data?.signUp.user).toEqual({ email: 'margaret@shop.test', role: 'CUSTOMER' });
    const token = await supergraph.logIn('MARGARET@shop.test', 'apollo-11-landing');

    const product = await supergraph.request<{ product: { id: string } }>('{ product(sku: "DK-MAT-FELT") { id } }');
    const placed = await supergraph.request<{ placeOrder: { id: string } }>(
      'mutation ($id: ID!) { placeOrder(input: { items: [{ productId: $id, quantity: 1 }] }) { id } }',
      { id: product.body.data?.product.id },
      { token },
    );
    const orderId = placed.body.data?.placeOrder.id as string;
    const mine = await supergraph.request<{ me: { email: string; orders: { edges: { node: { id: string } }[] } } }>(
      '{ me { email orders { edges { node { id } } } } }',
      {},
      { token },
    );
    expect(mine.body.data?.me.email).toBe('margaret@shop.test');
    expect(mine.body.data?.me.orders.edges.map((edge) => edge.node.id)).toEqual([orderId]);

    const read = (as: string) =>
      supergraph.request<{ order: { id: string } | null }>(
        'query ($id: ID!) { order(id: $id) { id } }',
        { id: orderId },
        { token: as },
      );
    const cancel = (as: string) =>
      supergraph.request<{ cancelOrder: { status: string } }>(
        'mutation ($id: ID!) { cancelOrder(id: $id) { status } }',
        { id: orderId },
        { token: as },
      );
    expect((await read(linus)).body.data?.order).toBeNull();
    expect(codes(await cancel(linus))).toEqual(['NOT_FOUND']);
    expect((await read(admin)).body.data?.order?.id).toBe(orderId);
    expect((await cancel(admin)).body.data?.cancelOrder.status).toBe('CANCELLED');
  });

  it('needs a signed-in user to place an order: the router refuses it (@authenticated), and so does orders', async () => {
    const mutation = 'mutation { placeOrder(input: { items: [] }) { id } }';
    expect(codes(await supergraph.request(mutation))).toEqual(['UNAUTHORIZED_FIELD_OR_TYPE']);
    expect(codes(await straightTo('orders', mutation))).toEqual(['UNAUTHENTICATED']);
  });

  it.each([
    ['a short password', '{ email: "new1@shop.test", name: "N", password: "short" }', 'BAD_USER_INPUT'],
    ['the email as password', '{ email: "new2@shop.test", name: "N", password: "new2@shop.test" }', 'BAD_USER_INPUT'],
    ['an invalid email', '{ email: "not-an-email", name: "N", password: "long-enough-pw" }', 'BAD_USER_INPUT'],
    ['an empty name', '{ email: "new3@shop.test", name: "  ", password: "long-enough-pw" }', 'BAD_USER_INPUT'],
    ['a taken email in other case', '{ email: "ADA@shop.test", name: "N", password: "long-enough-pw" }', 'CONFLICT'],
  ])('refuses sign-up with %s', async (_case, input, code) => {
    expect(codes(await supergraph.request(`mutation { signUp(input: ${input}) { token } }`))).toEqual([code]);
  });
});

describe('log-in', () => {
  it('gives the same error for a wrong password and an unknown email', async () => {
    const logIn = (email: string, password: string) =>
      supergraph.request(
        'mutation ($email: String!, $password: String!) { logIn(email: $email, password: $password) { token } }',
        { email, password },
      );
    const wrongPassword = await logIn('linus@shop.test', 'not-his-password');
    const unknownEmail = await logIn('nobody@shop.test', 'whatever-password');
    expect(codes(wrongPassword)).toEqual(['UNAUTHENTICATED']);
    expect(wrongPassword.body.errors?.[0]?.message).toBe(unknownEmail.body.errors?.[0]?.message);
    expect(codes(unknownEmail)).toEqual(['UNAUTHENTICATED']);
  });

  it('refuses an email for a while after five failed attempts, even with the right password', async () => {
    await supergraph.request(
      'mutation { signUp(input: { email: "guessed@shop.test", name: "G", password: "right-password" }) { token } }',
    );
    const logIn = (password: string) =>
      supergraph.request(
        'mutation ($password: String!) { logIn(email: "guessed@shop.test", password: $password) { token } }',
        { password },
      );
    for (let attempt = 0; attempt < 5; attempt++)
      expect(codes(await logIn(`guess-${attempt}-wrong`))).toEqual(['UNAUTHENTICATED']);
    const locked = await logIn('right-password');
    expect(codes(locked)).toEqual(['RATE_LIMITED']);
    expect(locked.body.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThan(800);
    // Other accounts are not affected.
    expect(await supergraph.logInAs('linus')).toMatch(/^ey/);
  });
});

describe('authorization', () => {
  const adminMutations = [
    [
      'createProduct',
      'mutation { createProduct(input: { sku: "AUTH-TEST-1", name: "Test", description: "d", price: { amount: 100, currency: "EUR" }, stock: 1 }) { id } }',
    ],
    ['createFaq', 'mutation { createFaq(input: { question: "Q?", answer: "A.", topic: "general" }) { id } }'],
  ] as const;

  // The router refuses admin fields (@requiresScopes) before asking a subgraph; each subgraph refuses them too.
  it.each(adminMutations)(
    '%s is refused to customers (router and subgraph) and works for admins',
    async (name, mutation) => {
      expect(codes(await supergraph.request(mutation, {}, { token: ada }))).toEqual(['UNAUTHORIZED_FIELD_OR_TYPE']);
      const subgraph = name === 'createFaq' ? 'faq' : 'products';
      expect(codes(await straightTo(subgraph, mutation, {}, ada))).toEqual(['FORBIDDEN']);
      const asAdmin = await supergraph.request(mutation, {}, { token: admin });
      expect(asAdmin.body.errors).toBeUndefined();
    },
  );

  it('lets only admins update, restock and delete products and FAQs', async () => {
    const created = await supergraph.request<{ createProduct: { id: string } }>(
      'mutation { createProduct(input: { sku: "AUTH-TEST-2", name: "Test 2", description: "d", price: { amount: 100, currency: "EUR" }, stock: 1 }) { id } }',
      {},
      { token: admin },
    );
    const id = created.body.data?.createProduct.id;
    const faq = await supergraph.request<{ createFaq: { id: string } }>(
      'mutation ($id: ID) { createFaq(input: { question: "Q2?", answer: "A2.", topic: "product", productId: $id }) { id } }',
      { id },
      { token: admin },
    );
    const faqId = faq.body.data?.createFaq.id;
    const operations = [
      ['products', 'mutation ($id: ID!) { updateProduct(id: $id, input: { name: "Renamed" }) { name } }', { id }],
      ['products', 'mutation ($id: ID!) { restockProduct(id: $id, quantity: 5) { stock } }', { id }],
      ['faq', 'mutation ($id: ID!) { updateFaq(id: $id, input: { answer: "Better." }) { answer } }', { id: faqId }],
      ['faq', 'mutation ($id: ID!) { deleteFaq(id: $id) }', { id: faqId }],
      ['products', 'mutation ($id: ID!) { deleteProduct(id: $id) }', { id }],
    ] as const;
    for (const [subgraph, operation, variables] of operations) {
      const refused = await supergraph.request(operation, variables, { token: linus });
      expect(codes(refused), operation).toEqual(['UNAUTHORIZED_FIELD_OR_TYPE']);
      expect(codes(await straightTo(subgraph, operation, variables, linus)), operation).toEqual(['FORBIDDEN']);
      const asAdmin = await supergraph.request(operation, variables, { token: admin });
      expect(asAdmin.body.errors, operation).toBeUndefined();
    }
  });

  it('shows users and their emails to admins and to themselves only', async () => {
    const users = '{ users { totalCount } }';
    expect(codes(await supergraph.request(users, {}, { token: linus }))).toEqual(['UNAUTHORIZED_FIELD_OR_TYPE']);
    expect(codes(await straightTo('users', users, {}, linus))).toEqual(['FORBIDDEN']);
    expect(
      codes(await supergraph.request('query ($id: ID!) { user(id: $id) { name } }', { id: adaId }, { token: linus })),
    ).toEqual(['FORBIDDEN']);
    const own = await supergraph.request<{ user: { email: string } }>(
      'query ($id: ID!) { user(id: $id) { email } }',
      { id: adaId },
      { token: ada },
    );
    expect(own.body.data?.user.email).toBe('ada@shop.test');
    const all = await supergraph.request<{ users: { edges: { node: { email: string } }[] } }>(
      '{ users(first: 100) { edges { node { email } } } }',
      {},
      { token: admin },
    );
    expect(all.body.data?.users.edges.map((edge) => edge.node.email)).toContain('linus@shop.test');
  });
});
