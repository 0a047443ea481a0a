import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPOSITORY_ROOT } from '../../scripts/subgraphs.js';

/** `npm start` as a user runs it: five processes, embedded databases in a fresh data directory. */
const dataDir = mkdtempSync(path.join(tmpdir(), 'shop-start-'));
const started: ChildProcess[] = [];
afterAll(() => {
  for (const child of started) if (child.exitCode === null) child.kill('SIGKILL');
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
  const [router, users, products, orders, faq] = ports.map(String);
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
    },
    stdio: ['ignore', 'pipe', 'pipe'],
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
  it('brings up four subgraphs and the router with seeded data, and Ctrl-C stops every process', async () => {
    const ports = await freePorts(5);
    const run = start(ports);
    await run.waitFor('Press Ctrl-C to stop.');
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

    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
    for (const port of ports) expect(await portIsClosed(port)).toBe(true);
  });

  it('names the port and the variable to change when a port is taken', async () => {
    const ports = await freePorts(5);
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
