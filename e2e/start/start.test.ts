import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPOSITORY_ROOT } from '../../scripts/subgraphs.js';

/**
 * `npm start` as a user runs it: in development every service in one process, embedded databases in a fresh data
 * directory. How long it takes is measured by `npm run bench` (no timing assertions here); the test prints it.
 */
const dataDir = mkdtempSync(path.join(tmpdir(), 'shop-start-'));
const started: ChildProcess[] = [];
// Each run leads a process group of its own, so a failed test still ends every service it started.
afterAll(() => {
  for (const child of started) if (child.exitCode === null && child.pid) process.kill(-child.pid, 'SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Server>((resolve) => {
          const server = net.createServer();
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as net.AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

function start(ports: number[]) {
  const [router, users, products, orders, faq, storefront] = ports.map(String);
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPOSITORY_ROOT, 'scripts/start.ts')], {
    cwd: REPOSITORY_ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATA_DIR: dataDir,
      ROUTER_PORT: router,
      USERS_PORT: users,
      PRODUCTS_PORT: products,
      ORDERS_PORT: orders,
      FAQ_PORT: faq,
      STOREFRONT_PORT: storefront,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  started.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitFor = async (text: string) => {
    while (!output.includes(text)) {
      if (child.exitCode !== null) throw new Error(`start exited (${child.exitCode}) before "${text}":\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };
  return { child, exited, waitFor, output: () => output };
}

const portIsClosed = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('error', () => resolve(true));
  });

describe('npm start', () => {
  it('brings up four subgraphs, the router and the storefront with seeded data, and Ctrl-C stops every process', async () => {
    const ports = await freePorts(6);
    const run = start(ports);
    await run.waitFor('Press Ctrl-C to stop.');
    console.info(`npm start: ${/Shop Supergraph is up in [\d.]+ s/.exec(run.output())?.[0]} (new data directory)`);
    // Progress from the first second: what it is doing, before any service is up.
    expect(run.output()).toMatch(/^\[ {2}0\.\d s start {5}\] compiling/);
    expect(run.output()).toContain(`Explorer and GraphQL endpoint: http://localhost:${ports[0]}/`);
    for (const service of ['users', 'products', 'orders', 'faq'])
      expect(run.output()).toContain(`${service} subgraph ready`);

    const graphql = async (query: string, token?: string) => {
      const response = await fetch(`http://127.0.0.1:${ports[0]}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query }),
      });
      return (await response.json()) as { data: Record<string, never> };
    };
    // Each subgraph counts its SQL statements at /metrics (what `npm run bench` reads).
    const sqlStatements = async (port: number | undefined, service: string) => {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const sample = new RegExp(`^sql_statements_total\\{service="${service}"\\} (\\d+)$`, 'm').exec(text);
      expect(sample, text.slice(0, 500)).not.toBeNull();
      return Number(sample?.[1]);
    };
    const productsBefore = await sqlStatements(ports[2], 'products');
    const login = await graphql(
      'mutation { logIn(email: "linus@shop.test", password: "shop-customer-dev") { token } }',
    );
    const token = (login.data.logIn as { token: string }).token;
    const me = await graphql(
      '{ me { orders { totalCount edges { node { items { product { name faqs { question } } } } } } } }',
      token,
    );
    expect(JSON.stringify(me.data)).toContain('Split Ergonomic Keyboard');
    // me → orders → products: products resolved all the order items' product references in one statement.
    expect(await sqlStatements(ports[2], 'products')).toBe(productsBefore + 1);

    // The storefront: its production build, any app path answered with the app, /graphql reaching the router by
    // the hash of a listed operation (what the app sends).
    const storefront = `http://127.0.0.1:${ports[5]}`;
    expect(run.output()).toContain(`Storefront: http://localhost:${ports[5]}/`);
    for (const page of ['/', '/products/KB-ALU-75', '/checkout']) {
      const html = await fetch(`${storefront}${page}`);
      expect([html.status, html.headers.get('content-type')]).toEqual([200, 'text/html;charset=utf-8']);
      const text = await html.text();
      expect(text).toContain('<div id="root"></div>');
      expect(text).toMatch(/<script type="module" crossorigin src="\/assets\/index-[\w-]+\.js"><\/script>/);
    }
    const manifest = JSON.parse(readFileSync(path.join(REPOSITORY_ROOT, 'operations/manifest.json'), 'utf8'));
    const [productPage] = Object.entries(manifest as Record<string, string>).find(([, document]) =>
      document.startsWith('query ProductPage('),
    ) as [string, string];
    const byHash = await fetch(`${storefront}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        variables: { sku: 'KB-ALU-75' },
        extensions: { persistedQuery: { version: 1, sha256Hash: productPage } },
      }),
    });
    expect(await byHash.json()).toMatchObject({ data: { product: { name: 'Aluminium 75% Keyboard' } } });

    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
    for (const port of ports) expect(await portIsClosed(port)).toBe(true);
  });

  it('names the port and the variable to change when a port is taken', async () => {
    const ports = await freePorts(6);
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(ports[3], '127.0.0.1', resolve));
    try {
      const run = start(ports);
      expect(await run.exited).not.toBe(0);
      expect(run.output()).toContain(
        `orders: port ${ports[3]} on 127.0.0.1 is already in use; stop what uses it or set ORDERS_PORT to another port`,
      );
      for (const port of ports.filter((candidate) => candidate !== ports[3]))
        expect(await portIsClosed(port)).toBe(true);
    } finally {
      blocker.close();
    }
  });
});
