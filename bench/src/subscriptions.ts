import { createClient } from 'graphql-sse';

/**
 * Open subscriptions under load (README: "Subscriptions"): `count` GraphQL-over-SSE subscriptions to
 * `orderUpdated` on one router, spread over the customers, held open while the realistic mix runs; meanwhile an
 * admin ships one of the subscribers' orders every `everyMs`, and the time from the ship's answer to the event's
 * arrival at each of that customer's subscriptions is a delivery latency. The router's RSS is read before the
 * subscriptions open and once they all have: what one open subscription costs.
 */
export interface SubscriptionLoadResult {
  subscriptions: number;
  opened_in_s: number;
  router_rss_mb_before: number | null;
  router_rss_mb_open: number | null;
  rss_kb_per_subscription: number | null;
  deliveries: number;
  /** Ships whose event did not reach every subscription of the customer within 10 s. */
  missed: number;
  /** Events of orders the subscription's customer does not own (must be 0). */
  foreign: number;
  delivery_ms: { p50: number; p95: number; p99: number; max: number };
  /** The realistic mix's requests per second on the same router meanwhile. */
  mix_requests_per_s: number;
}

const ORDER_UPDATES = 'subscription { orderUpdated { sequence order { id status } } }';
const SHIP = 'mutation ($id: ID!) { shipOrder(id: $id) { id status } }';
const PLACE = 'mutation ($items: [OrderItemInput!]!) { placeOrder(input: { items: $items }) { id status } }';

interface Options {
  url: string;
  count: number;
  /** The customers to subscribe as (each gets count / customers.length subscriptions, round robin). */
  customers: number[];
  tokens: (user: number) => string;
  admin: string;
  productId: string;
  everyMs: number;
  /** Runs the load the deliveries are measured under; resolves when it is over, with its requests per second. */
  underLoad: () => Promise<number>;
  rssMb: () => number | null;
}

export async function measureSubscriptions(options: Options): Promise<SubscriptionLoadResult> {
  const post = async (query: string, variables: Record<string, unknown>, token: string) => {
    const response = await fetch(options.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as { data?: Record<string, { id: string; status: string }>; errors?: unknown[] };
  };

  // Orders to ship during the run: one per probed customer, placed (and confirmed) before.
  const probed = options.customers.slice(0, Math.min(options.customers.length, 200));
  const orders = new Map<string, number>(); // order id → its customer
  for (const customer of probed) {
    const placed = await post(
      PLACE,
      { items: [{ productId: options.productId, quantity: 1 }] },
      options.tokens(customer),
    );
    const order = placed.data?.placeOrder;
    if (order?.status !== 'CONFIRMED') throw new Error(`placing a probe order failed: ${JSON.stringify(placed)}`);
    orders.set(order.id, customer);
  }

  const rssBefore = options.rssMb();
  const clients: ReturnType<typeof createClient>[] = [];
  /** Per order id, when each subscription got its SHIPPED event. */
  const arrivals = new Map<string, number[]>();
  const subscribersOf = new Map<number, number>();
  let foreign = 0;
  const openedAt = performance.now();
  let opened = 0;
  const ready = new Promise<void>((resolve, reject) => {
    for (let index = 0; index < options.count; index++) {
      const customer = options.customers[index % options.customers.length] as number;
      subscribersOf.set(customer, (subscribersOf.get(customer) ?? 0) + 1);
      const client = createClient({
        url: options.url,
        retryAttempts: 0,
        headers: { authorization: `Bearer ${options.tokens(customer)}` },
        on: {
          connected: () => {
            opened++;
            if (opened === options.count) resolve();
          },
        },
      });
      clients.push(client);
      client.subscribe<{ orderUpdated: { order: { id: string; status: string } } }>(
        { query: ORDER_UPDATES },
        {
          next: ({ data }) => {
            const order = data?.orderUpdated.order;
            if (!order) return;
            const owner = orders.get(order.id);
            if (owner !== undefined && owner !== customer) foreign++;
            if (owner === customer && order.status === 'SHIPPED') {
              arrivals.set(order.id, [...(arrivals.get(order.id) ?? []), performance.now()]);
            }
          },
          error: (error) => reject(error),
          complete: () => undefined,
        },
      );
    }
  });
  await ready;
  const openedInSeconds = (performance.now() - openedAt) / 1000;
  // The subgraph reads changes for new subscribers within a poll: let every one start before measuring.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const rssOpen = options.rssMb();

  const shippedAt = new Map<string, number>();
  const queue = [...orders.keys()];
  const shipping = (async () => {
    while (queue.length > 0) {
      const id = queue.shift() as string;
      const started = performance.now();
      const shipped = await post(SHIP, { id }, options.admin);
      if (shipped.data?.shipOrder?.status !== 'SHIPPED') throw new Error(`shipping failed: ${JSON.stringify(shipped)}`);
      shippedAt.set(id, performance.now());
      const wait = options.everyMs - (performance.now() - started);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  })();
  const [mixRate] = await Promise.all([options.underLoad(), shipping]);
  await new Promise((resolve) => setTimeout(resolve, 10_000)); // the last events' time to arrive

  const latencies: number[] = [];
  let missed = 0;
  for (const [id, at] of shippedAt) {
    const got = arrivals.get(id) ?? [];
    const expected = subscribersOf.get(orders.get(id) as number) ?? 0;
    if (got.length < expected) missed++;
    for (const arrival of got) latencies.push(Math.max(0, arrival - at));
  }
  for (const client of clients) client.dispose();
  latencies.sort((a, b) => a - b);
  const at = (share: number) =>
    Math.round(latencies[Math.min(latencies.length - 1, Math.floor(share * latencies.length))] ?? 0);
  return {
    subscriptions: options.count,
    opened_in_s: Math.round(openedInSeconds * 10) / 10,
    router_rss_mb_before: rssBefore,
    router_rss_mb_open: rssOpen,
    rss_kb_per_subscription:
      rssBefore !== null && rssOpen !== null ? Math.round(((rssOpen - rssBefore) * 1024) / options.count) : null,
    deliveries: latencies.length,
    missed,
    foreign,
    delivery_ms: { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: Math.round(latencies.at(-1) ?? 0) },
    mix_requests_per_s: Math.round(mixRate),
  };
}
