import { databaseKind } from '@shop/subgraph-runtime/testing';
import type { FormattedExecutionResult as Result } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenSubscription, subscribe, type Transport } from '../harness/subscriptions.js';
import { errorCodes, type Supergraph, startSupergraph } from '../harness/supergraph.js';

/**
 * `orderUpdated` through the router, over GraphQL over SSE and over WebSocket: a customer gets their own orders'
 * changes (never another customer's), in the order they were committed, whoever made them (a mutation, an admin,
 * SQL run by hand); an admin may follow every order; a client resumes after a router restart with the last
 * sequence it got, missing nothing and getting nothing twice; a closed account's subscription ends.
 */
const ORDER_UPDATES = `subscription ($after: String, $all: Boolean) {
  orderUpdated(after: $after, allOrders: $all) {
    sequence
    order { id status user { email } items { quantity product { name } } }
  }
}`;

interface OrderUpdate {
  sequence: string;
  order: {
    id: string;
    status: string;
    user: { email: string };
    items: { quantity: number; product: { name: string } }[];
  };
}

let supergraph: Supergraph;
let admin: string;
let ada: string;
let linus: string;
let productId: string;

beforeAll(async () => {
  // Closed accounts are learnt within a second here (production: every few seconds).
  supergraph = await startSupergraph({ closedAccountsPollMs: 500 });
  [admin, ada, linus] = await Promise.all((['admin', 'ada', 'linus'] as const).map((who) => supergraph.logInAs(who)));
  productId = (await supergraph.createProduct(admin, { name: 'Live Lamp', stock: 1000 })).id;
});
afterAll(async () => {
  await supergraph?.close();
});

const updateOf = (result: Result<Record<string, unknown>>) => result.data?.orderUpdated as OrderUpdate | undefined;
const updatesIn = (subscription: OpenSubscription) => subscription.results.flatMap((result) => updateOf(result) ?? []);
const isUpdate = (orderId: string, status: string) => (result: Result<Record<string, unknown>>) =>
  updateOf(result)?.order.id === orderId && updateOf(result)?.order.status === status;

async function placeOrder(token: string, quantity = 1) {
  const placed = await supergraph.request<{ placeOrder: { id: string; status: string } }>(
    'mutation ($items: [OrderItemInput!]!) { placeOrder(input: { items: $items }) { id status } }',
    { items: [{ productId, quantity }] },
    { token },
  );
  expect(placed.body.errors).toBeUndefined();
  return placed.body.data?.placeOrder.id as string;
}

const cancel = (id: string, token: string) =>
  supergraph.request('mutation ($id: ID!) { cancelOrder(id: $id) { status } }', { id }, { token });
const ship = (id: string) =>
  supergraph.request('mutation ($id: ID!) { shipOrder(id: $id) { status } }', { id }, { token: admin });

/** Sequences in the order they came: strictly increasing (transaction id, then the change within it). */
function expectIncreasing(sequences: string[]) {
  const keys = sequences.map((sequence) => sequence.split('.').map(BigInt) as [bigint, bigint]);
  for (let i = 1; i < keys.length; i++) {
    const [a, b] = [keys[i - 1] as [bigint, bigint], keys[i] as [bigint, bigint]];
    expect(b[0] > a[0] || (b[0] === a[0] && b[1] > a[1]), sequences.join(' ')).toBe(true);
  }
}

/** A subscription that has started (its first change to prove it): the subgraph follows changes from here. */
async function started(transport: Transport, token: string, variables: Record<string, unknown> = {}) {
  const subscription = subscribe(transport, supergraph.routerUrl, { query: ORDER_UPDATES, variables }, token);
  // Wait until the orders service reads changes for it: a change made now must come through.
  for (let attempt = 0; attempt < 50; attempt++) {
    const probe = await placeOrder(token);
    const seen = await subscription.until(isUpdate(probe, 'CONFIRMED'), 200).catch(() => null);
    if (seen) return subscription;
  }
  throw new Error('the subscription never started');
}

describe.each(['sse', 'websocket'] as const)(`orderUpdated over %s on ${databaseKind}`, (transport) => {
  it("delivers a customer's own orders as each change is committed, in order, with other services' fields", async () => {
    const adas = await started(transport, ada);
    const linuses = await started(transport, linus);
    try {
      const adaOrder = await placeOrder(ada, 2);
      const linusOrder = await placeOrder(linus);
      await ship(adaOrder);
      // A change made outside any mutation (as the recovery sweep or an operator would) comes too.
      await supergraph.prisma.orders?.$executeRawUnsafe(
        `UPDATE orders SET status = 'CANCELLED', cancel_reason = 'by hand' WHERE id = $1::uuid`,
        linusOrder,
      );

      await adas.until(isUpdate(adaOrder, 'SHIPPED'));
      await linuses.until(isUpdate(linusOrder, 'CANCELLED'));
      const adaUpdates = updatesIn(adas).filter(({ order }) => order.id === adaOrder);
      expect(adaUpdates.map(({ order }) => order.status)).toEqual(['PENDING', 'CONFIRMED', 'SHIPPED']);
      expect(adaUpdates[0]?.order).toMatchObject({
        user: { email: 'ada@shop.test' },
        items: [{ quantity: 2, product: { name: 'Live Lamp' } }],
      });
      expectIncreasing(updatesIn(adas).map(({ sequence }) => sequence));
      // Never another customer's order.
      expect(updatesIn(adas).every(({ order }) => order.user.email === 'ada@shop.test')).toBe(true);
      expect(updatesIn(linuses).every(({ order }) => order.user.email === 'linus@shop.test')).toBe(true);
      expect(adas.results.every((result) => !result.errors)).toBe(true);
    } finally {
      adas.close();
      linuses.close();
    }
  });

  it('lets an admin follow every order, and no one else', async () => {
    const everything = await started(transport, admin, { all: true });
    try {
      const adaOrder = await placeOrder(ada);
      await everything.until(isUpdate(adaOrder, 'CONFIRMED'));
    } finally {
      everything.close();
    }
    const refused = subscribe(transport, supergraph.routerUrl, { query: ORDER_UPDATES, variables: { all: true } }, ada);
    await refused.ended;
    expect(refused.results.flatMap((result) => result.errors?.map((error) => error.extensions?.code) ?? [])).toEqual([
      'FORBIDDEN',
    ]);
    const anonymous = subscribe(transport, supergraph.routerUrl, { query: ORDER_UPDATES });
    await anonymous.ended;
    // orderUpdated is @authenticated: the router refuses it before subscribing to orders.
    expect(anonymous.results.flatMap((result) => result.errors?.map((error) => error.extensions?.code) ?? [])).toEqual([
      'UNAUTHORIZED_FIELD_OR_TYPE',
    ]);
  });

  it("ends a closed account's subscription", async () => {
    const email = `live-${transport}-${process.pid}@shop.test`;
    const signUp = await supergraph.request<{ signUp: { token: string } }>(
      'mutation ($input: SignUpInput!) { signUp(input: $input) { token } }',
      { input: { email, name: 'Live Customer', password: 'a-long-enough-password' } },
    );
    const token = signUp.body.data?.signUp.token as string;
    const subscription = await started(transport, token);
    const closed = await supergraph.request(
      'mutation { closeAccount(password: "a-long-enough-password") }',
      {},
      { token },
    );
    expect(closed.body.errors).toBeUndefined();
    await subscription.ended;
    const last = subscription.results[subscription.results.length - 1];
    expect(last?.errors?.map((error) => error.extensions?.code)).toEqual(['UNAUTHENTICATED']);
  });
});

describe(`resuming orderUpdated on ${databaseKind}`, () => {
  it('after a router restart, with the last sequence received: nothing missed, nothing twice', async () => {
    const first = await supergraph.startRouter();
    const subscription = subscribe('sse', first.url, { query: ORDER_UPDATES }, ada);
    let last: string | undefined;
    for (let attempt = 0; attempt < 50 && !last; attempt++) {
      const probe = await placeOrder(ada);
      last = updateOf(await subscription.until(isUpdate(probe, 'CONFIRMED'), 200).catch((): Result => ({})))?.sequence;
    }
    expect(last).toBeDefined();
    await first.stop();
    await subscription.ended;

    // While no router runs, orders change: the resumed subscription must bring each change once.
    const missed = await placeOrder(ada);
    expect(errorCodes(await cancel(missed, ada))).toBeUndefined();
    const second = await supergraph.startRouter();
    const resumed = subscribe('sse', second.url, { query: ORDER_UPDATES, variables: { after: last } }, ada);
    try {
      await resumed.until(isUpdate(missed, 'CANCELLED'));
      const live = await placeOrder(ada);
      await resumed.until(isUpdate(live, 'CONFIRMED'));
      const updates = updatesIn(resumed);
      expect(updates.filter(({ order }) => order.id === missed).map(({ order }) => order.status)).toEqual([
        'PENDING',
        'CONFIRMED',
        'CANCELLED',
      ]);
      expect(updates.map(({ sequence }) => sequence)).not.toContain(last);
      expect(new Set(updates.map(({ sequence }) => sequence)).size).toBe(updates.length);
      expectIncreasing(updates.map(({ sequence }) => sequence));
    } finally {
      resumed.close();
      await second.stop();
    }
  });

  it('refuses a sequence it never sent', async () => {
    const subscription = subscribe(
      'sse',
      supergraph.routerUrl,
      { query: ORDER_UPDATES, variables: { after: 'nope' } },
      ada,
    );
    await subscription.ended;
    expect(
      subscription.results.flatMap((result) => result.errors?.map((error) => error.extensions?.code) ?? []),
    ).toEqual(['BAD_USER_INPUT']);
  });

  it('answers a subscription sent as a plain POST with a clear error, and a query sent over a stream', async () => {
    const post = await supergraph.request(ORDER_UPDATES, {}, { token: ada });
    expect(errorCodes(post)).toEqual(['BAD_REQUEST']);
    const query = subscribe('websocket', supergraph.routerUrl, { query: '{ me { email } }' }, ada);
    await query.ended;
    expect(query.results).toEqual([{ data: { me: { email: 'ada@shop.test' } } }]);
  });
});
