import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadKeyPems } from '@shop/platform';
import { openSubgraphDatabase } from '@shop/subgraph-runtime';
import { databaseKind } from '@shop/subgraph-runtime/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSubgraphs } from '../../scripts/subgraphs.js';
import { freePort } from '../harness/ports.js';
import { type SubgraphProcess, startServiceProcess, startSubgraphProcess, until } from '../harness/subgraph-process.js';

/**
 * The shop as an operator runs it, hurt as an operator sees it hurt: on a PostgreSQL cluster of the test's own
 * (never the shared one), two router replicas, two products and two orders replicas, users and faq, while buyers
 * (each retrying as the API tells them: same key until the answer is final) and readers keep coming for a minute.
 * Meanwhile a products replica, an orders replica and a router are killed (SIGKILL) and started again,
 * PostgreSQL restarts (`pg_ctl restart -m fast`) and the other products replica freezes for 2 s. Afterwards:
 * stock is conserved per product, nothing is PENDING or RESERVED, every CONFIRMED answer is still CONFIRMED,
 * one order per key, every checkout reached a final answer, no INTERNAL_SERVER_ERROR, no deadlock in
 * PostgreSQL's log, and no service exited on its own. Runs in the PostgreSQL pass of `npm test`.
 */
const CAMPAIGN_MS = Number(process.env.FAULT_CAMPAIGN_SECONDS ?? 60) * 1000;
const BUYERS = 20;
const READERS = 6;
/** One scarce product everybody wants (OUT_OF_STOCK under contention), and plenty of the others. */
const STOCKS = [15, 400, 400, 400, 400, 400, 400, 400];
const PG_BIN = '/usr/lib/postgresql/15/bin';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A PostgreSQL cluster in a temp directory, owned by the `postgres` user, on a port of its own. */
async function startPrivateCluster() {
  const dir = mkdtempSync(path.join(tmpdir(), 'shop-faults-pg-'));
  chmodSync(dir, 0o700);
  const port = await freePort();
  // As root (CI here), the cluster belongs to the postgres user, as PostgreSQL insists.
  const root = process.getuid?.() === 0;
  if (root) {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres']).toString());
    chownSync(dir, id('-u'), id('-g'));
  }
  const commandLine = (command: string, args: string[]): [string, string[]] =>
    root
      ? ['runuser', ['-u', 'postgres', '--', path.join(PG_BIN, command), ...args]]
      : [path.join(PG_BIN, command), args];
  const asPostgres = (command: string, args: string[]) =>
    execFileSync(...commandLine(command, args), { stdio: 'pipe' });
  /** The same, without blocking this process (the load keeps running while PostgreSQL restarts). */
  const asPostgresAsync = (command: string, args: string[]) =>
    new Promise<void>((resolve, reject) =>
      execFile(...commandLine(command, args), (error) => (error ? reject(error) : resolve())),
    );
  const data = path.join(dir, 'data');
  const log = path.join(dir, 'postgres.log');
  asPostgres('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off`;
  const pgCtlArgs = (args: string[]) => ['-D', data, '-l', log, '-o', options, '-w', ...args];
  const pgCtl = (...args: string[]) => asPostgres('pg_ctl', pgCtlArgs(args));
  pgCtl('start');
  const url = (database: string) => `postgres://postgres@127.0.0.1:${port}/${database}`;
  return {
    url,
    log: () => readFileSync(log, 'utf8'),
    restart: () => asPostgresAsync('pg_ctl', pgCtlArgs(['restart', '-m', 'fast'])),
    sql: async <Row>(database: string, text: string, params: unknown[] = []) => {
      const client = new pg.Client({ connectionString: url(database) });
      await client.connect();
      try {
        return (await client.query(text, params)).rows as Row[];
      } finally {
        await client.end();
      }
    },
    stop: () => {
      try {
        pgCtl('stop', '-m', 'immediate');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

type Cluster = Awaited<ReturnType<typeof startPrivateCluster>>;
interface GraphQLAnswer {
  // biome-ignore lint/suspicious/noExplicitAny: answers of several operations, each read where it is sent
  data?: Record<string, any> | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

let cluster: Cluster | undefined;
const processes: Record<string, SubgraphProcess> = {};
const routers: SubgraphProcess[] = [];
const dataDir = mkdtempSync(path.join(tmpdir(), 'shop-faults-'));

beforeAll(async () => {
  if (databaseKind !== 'postgres') return;
  cluster = await startPrivateCluster();
  const manifests = await loadSubgraphs();
  // Each service's database, migrated; users and products seeded (the admin, the categories).
  for (const manifest of manifests) {
    await cluster.sql('postgres', `CREATE DATABASE "${manifest.name}"`);
    const database = await openSubgraphDatabase(manifest, { kind: 'postgres', url: cluster.url(manifest.name) });
    if (manifest.name === 'users' || manifest.name === 'products') await manifest.seed(database.prisma);
    await database.close();
  }
  const keys = await loadKeyPems({ keyDir: path.join(dataDir, 'keys'), production: false });
  const common = {
    DATA_DIR: dataDir,
    JWT_PUBLIC_KEY: keys.publicPem,
    INTERNAL_API_TOKEN: randomBytes(32).toString('hex'),
    MIGRATE_ON_START: 'false',
    ORDER_PENDING_TIMEOUT_SECONDS: '2',
    ORDER_RECOVERY_INTERVAL_SECONDS: '1',
  };
  const databaseOf = (name: string) => ({ [`${name.toUpperCase()}_DATABASE_URL`]: cluster?.url(name) as string });
  processes.users = await startSubgraphProcess('users', {
    ...common,
    ...databaseOf('users'),
    JWT_PRIVATE_KEY: keys.privatePem as string,
  });
  const usersUrl = processes.users.url;
  const [productsA, productsB] = await Promise.all([
    startSubgraphProcess('products', { ...common, ...databaseOf('products'), USERS_URL: usersUrl }),
    startSubgraphProcess('products', { ...common, ...databaseOf('products'), USERS_URL: usersUrl }),
  ]);
  processes.productsA = productsA;
  processes.productsB = productsB;
  // Crosswise: each orders replica takes stock from the other products replica than its router reads.
  const [ordersA, ordersB, faq] = await Promise.all([
    startSubgraphProcess('orders', {
      ...common,
      ...databaseOf('orders'),
      USERS_URL: usersUrl,
      PRODUCTS_URL: productsB.url,
    }),
    startSubgraphProcess('orders', {
      ...common,
      ...databaseOf('orders'),
      USERS_URL: usersUrl,
      PRODUCTS_URL: productsA.url,
    }),
    startSubgraphProcess('faq', { ...common, ...databaseOf('faq'), USERS_URL: usersUrl, PRODUCTS_URL: productsA.url }),
  ]);
  Object.assign(processes, { ordersA, ordersB, faq });
  for (const [products, orders] of [
    [productsA, ordersA],
    [productsB, ordersB],
  ] as const) {
    routers.push(
      await startServiceProcess({
        entry: 'router/src/main.ts',
        portVariable: 'ROUTER_PORT',
        env: {
          ...common,
          ROUTER_METRICS_PORT: String(await freePort()),
          USERS_URL: usersUrl,
          PRODUCTS_URL: products.url,
          ORDERS_URL: orders.url,
          FAQ_URL: faq.url,
        },
      }),
    );
  }
}, 300_000);

afterAll(async () => {
  for (const service of [...routers, ...Object.values(processes)]) await service.stop();
  cluster?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Sends to one router, and on no connection to the other, as a load balancer would. */
async function send(query: string, variables: Record<string, unknown>, token: string | null, turn: number) {
  for (let tries = 0; tries < 2; tries++) {
    const router = routers[(turn + tries) % routers.length] as SubgraphProcess;
    try {
      const response = await fetch(router.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(30_000),
      });
      const body = (await response.json().catch(() => ({}))) as GraphQLAnswer;
      if (response.status >= 500) return { code: `HTTP_${response.status}`, body };
      return { code: body.errors?.[0]?.extensions?.code ?? (body.data ? 'OK' : 'NO_DATA'), body };
    } catch (error) {
      // Refused: nothing was sent, so the other router gets it. Lost mid-request: the caller decides.
      const refused = (error as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED';
      if (!refused) return { code: 'NETWORK', body: {} };
    }
  }
  return { code: 'NETWORK', body: {} };
}

const PLACE = `mutation Place($items: [OrderItemInput!]!, $key: String) {
  placeOrder(input: { items: $items }, idempotencyKey: $key) { id status }
}`;
/** Answers a client may retry with the same key: no final outcome yet. */
const RETRY_SAME_KEY = new Set(['SERVICE_UNAVAILABLE', 'NETWORK', 'HTTP_502', 'HTTP_503', 'HTTP_504']);

describe.skipIf(databaseKind !== 'postgres')('the shop through faults, on a PostgreSQL cluster of its own', () => {
  it('keeps every answer true while replicas die, PostgreSQL restarts and products freezes', async () => {
    const db = cluster as Cluster;
    const admin = (
      await send('mutation { logIn(email: "admin@shop.test", password: "shop-admin-dev") { token } }', {}, null, 0)
    ).body.data?.logIn.token as string;
    expect(admin).toBeTruthy();
    const productIds: string[] = [];
    for (const [index, stock] of STOCKS.entries()) {
      const created = await send(
        'mutation ($input: CreateProductInput!) { createProduct(input: $input) { id } }',
        {
          input: {
            sku: `FAULT-${index}`,
            name: `Fault product ${index}`,
            description: 'for the fault campaign',
            price: { amount: 100 + index, currency: 'EUR' },
            stock,
          },
        },
        admin,
        0,
      );
      productIds.push(created.body.data?.createProduct.id as string);
    }
    const tokens: string[] = [];
    for (let buyer = 0; buyer < BUYERS; buyer++) {
      const signedUp = await send(
        'mutation ($input: SignUpInput!) { signUp(input: $input) { token } }',
        { input: { email: `buyer-${buyer}@faults.test`, name: `Buyer ${buyer}`, password: 'a long enough password' } },
        null,
        buyer,
      );
      tokens.push(signedUp.body.data?.signUp.token as string);
    }
    expect(tokens.every(Boolean)).toBe(true);

    const answers: Record<string, number> = {};
    const count = (code: string) => {
      answers[code] = (answers[code] ?? 0) + 1;
    };
    /** Every CONFIRMED answer (order id by key), every final outcome per key, and checkouts never finished. */
    const confirmedByKey = new Map<string, Set<string>>();
    const finalByKey = new Map<string, Set<string>>();
    let sameKeyRetries = 0;
    let unfinished = 0;
    let faultsOver = false;
    let stopping = false;

    async function checkout(buyer: number, key: string) {
      const chosen = [...productIds].sort(() => Math.random() - 0.5).slice(0, 1 + Math.floor(Math.random() * 3));
      const items = chosen.map((productId) => ({ productId, quantity: 1 + Math.floor(Math.random() * 2) }));
      let retriesAfterFaults = 0;
      for (let attempt = 0; ; attempt++) {
        const { code, body } = await send(PLACE, { items, key }, tokens[buyer] as string, buyer + attempt);
        count(code === 'OK' ? String(body.data?.placeOrder.status) : code);
        const outcome = code === 'OK' ? `${body.data?.placeOrder.status}:${body.data?.placeOrder.id}` : code;
        if (code === 'OK' || !RETRY_SAME_KEY.has(code)) {
          finalByKey.set(key, (finalByKey.get(key) ?? new Set()).add(outcome));
          if (body.data?.placeOrder.status === 'CONFIRMED') {
            confirmedByKey.set(key, (confirmedByKey.get(key) ?? new Set()).add(body.data.placeOrder.id));
          }
          if (code === 'OK' || code === 'OUT_OF_STOCK' || code === 'ORDER_NOT_PLACED') return;
        }
        sameKeyRetries++;
        if (faultsOver && ++retriesAfterFaults > 150) {
          unfinished++;
          return;
        }
        await sleep(200);
      }
    }
    const buyerLoop = async (buyer: number) => {
      for (let n = 0; !stopping; n++) await checkout(buyer, `faults-${buyer}-${n}`);
    };
    const readerLoop = async (reader: number) => {
      for (let n = 0; !stopping; n++) {
        const token = tokens[(reader + n) % tokens.length] as string;
        const { code } =
          n % 2 === 0
            ? await send(
                '{ products(first: 12, filter: { inStock: true }) { edges { node { id name stock } } } }',
                {},
                null,
                n,
              )
            : await send('{ me { orders(first: 5) { edges { node { id status total { amount } } } } } }', {}, token, n);
        count(`read:${code}`);
        await sleep(50);
      }
    };

    const recovery: Record<string, number> = {};
    const timed = async (name: string, work: () => Promise<unknown>) => {
      const started = performance.now();
      await work();
      recovery[name] = Math.round(performance.now() - started);
    };
    const faults = async () => {
      const started = performance.now();
      const at = (ms: number) => sleep(Math.max(0, ms - (performance.now() - started)));
      const productsA = processes.productsA as SubgraphProcess;
      const ordersA = processes.ordersA as SubgraphProcess;
      const productsB = processes.productsB as SubgraphProcess;
      await at(CAMPAIGN_MS * 0.12);
      await timed('products replica (SIGKILL, back to ready)', async () => {
        productsA.kill('SIGKILL');
        await productsA.waitForExit();
        await productsA.start();
      });
      await at(CAMPAIGN_MS * 0.3);
      await timed('orders replica (SIGKILL, back to ready)', async () => {
        ordersA.kill('SIGKILL');
        await ordersA.waitForExit();
        await ordersA.start();
      });
      await at(CAMPAIGN_MS * 0.45);
      await timed('router replica (SIGKILL, back to ready)', async () => {
        routers[0]?.kill('SIGKILL');
        await routers[0]?.waitForExit();
        await routers[0]?.start();
      });
      await at(CAMPAIGN_MS * 0.6);
      await timed('PostgreSQL restart (until every subgraph is ready)', async () => {
        await db.restart();
        const subgraphs = Object.values(processes);
        await until(
          async () =>
            (
              await Promise.all(
                subgraphs.map((service) =>
                  fetch(`http://127.0.0.1:${service.port}/ready`).then(
                    (response) => response.ok,
                    () => false,
                  ),
                ),
              )
            ).every(Boolean),
          60_000,
        );
      });
      await at(CAMPAIGN_MS * 0.75);
      productsB.kill('SIGSTOP');
      await sleep(2_000);
      productsB.kill('SIGCONT');
      await at(CAMPAIGN_MS);
    };

    const buyers = Array.from({ length: BUYERS }, (_, buyer) => buyerLoop(buyer));
    const readers = Array.from({ length: READERS }, (_, reader) => readerLoop(reader));
    try {
      await faults();
    } finally {
      faultsOver = true;
      stopping = true;
    }
    await Promise.all([...buyers, ...readers]);

    // Quiet now: the sweeps settle whatever the faults left.
    const pending = async () =>
      Number(
        (await db.sql<{ n: string }>('orders', `SELECT COUNT(*) AS n FROM orders WHERE status = 'PENDING'`))[0]?.n,
      ) +
      Number(
        (
          await db.sql<{ n: string }>(
            'products',
            `SELECT COUNT(*) AS n FROM stock_reservations WHERE status = 'RESERVED'`,
          )
        )[0]?.n,
      );
    await until(async () => (await pending()) === 0, 90_000);

    const orders = await db.sql<{ id: string; status: string; stock_state: string; key: string | null }>(
      'orders',
      'SELECT id::text, status::text, stock_state::text, idempotency_key AS key FROM orders',
    );
    const reservations = new Map(
      (
        await db.sql<{ order_id: string; status: string }>(
          'products',
          'SELECT order_id::text, status::text FROM stock_reservations',
        )
      ).map((row) => [row.order_id, row.status]),
    );
    const sold = new Map(
      (
        await db.sql<{ product_id: string; units: string }>(
          'orders',
          `SELECT i.product_id::text, SUM(i.quantity) AS units FROM order_items i JOIN orders o ON o.id = i.order_id
           WHERE o.status IN ('CONFIRMED', 'SHIPPED') GROUP BY i.product_id`,
        )
      ).map((row) => [row.product_id, Number(row.units)]),
    );
    const stock = new Map(
      (await db.sql<{ id: string; stock: number }>('products', 'SELECT id::text, stock FROM products')).map((row) => [
        row.id,
        row.stock,
      ]),
    );
    const deadlocks = (db.log().match(/deadlock detected/g) ?? []).length;
    const crashes = [...routers, ...Object.values(processes)].flatMap((service) => service.unexpectedExits);
    const statusOf = new Map(orders.map((order) => [order.id, order.status]));
    const confirmedAnswers = [...confirmedByKey.values()].flatMap((ids) => [...ids]);
    console.info(
      `fault campaign on PostgreSQL, ${CAMPAIGN_MS / 1000} s: ${orders.length} orders, ${confirmedAnswers.length} CONFIRMED answers, ` +
        `${sameKeyRetries} same-key retries, answers ${JSON.stringify(answers)}, recovery ms ${JSON.stringify(recovery)}, ` +
        `deadlocks ${deadlocks}, unexpected exits ${JSON.stringify(crashes)}`,
    );

    // Stock conserved per product: what it started with = what is left + what confirmed orders hold.
    for (const [index, productId] of productIds.entries()) {
      expect((stock.get(productId) ?? Number.NaN) + (sold.get(productId) ?? 0), `product ${index}`).toBe(STOCKS[index]);
    }
    // Nothing left half-way, and both services agree on every order.
    for (const order of orders) {
      expect(order.status, order.id).not.toBe('PENDING');
      const reservation = reservations.get(order.id);
      if (order.status === 'CONFIRMED' || order.status === 'SHIPPED') expect(reservation, order.id).toBe('COMMITTED');
      else expect(['RELEASED', 'RETURNED', undefined], order.id).toContain(reservation);
    }
    // Every CONFIRMED answer is still CONFIRMED (nobody cancelled), and each key has one order and one outcome.
    for (const id of confirmedAnswers) expect(statusOf.get(id), id).toBe('CONFIRMED');
    for (const [key, outcomes] of finalByKey) expect([...outcomes], key).toHaveLength(1);
    const keys = orders.map((order) => order.key).filter(Boolean);
    expect(new Set(keys).size).toBe(keys.length);
    expect(unfinished).toBe(0);
    expect(confirmedAnswers.length).toBeGreaterThan(0);
    // Faults are outages, never internal errors or crashes; stock operations never deadlock.
    expect(Object.keys(answers).filter((code) => /INTERNAL_SERVER_ERROR|HTTP_5/.test(code))).toEqual([]);
    expect(deadlocks).toBe(0);
    expect(crashes).toEqual([]);
  }, 600_000);
});
