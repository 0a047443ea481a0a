import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  closedAccountsFromUsers,
  createLogger,
  createTokenVerifier,
  listen,
  loadKeyPems,
  urlOf,
  variablesOf,
  watchClosedAccounts,
} from '@shop/platform';
import { environment as routerEnvironment, subgraphUrlOverrides } from '@shop/router/env';
import { createRouter } from '@shop/router/server';
import {
  openSubgraphDatabase,
  type PreparedReads,
  parseSubgraphEnvironment,
  startSubgraph,
} from '@shop/subgraph-runtime';
import { createTestDatabase, type TestDatabase } from '@shop/subgraph-runtime/testing';
import { loadSubgraphs, REPOSITORY_ROOT } from '../../scripts/subgraphs.js';
import { type FaultProxy, startFaultProxy } from './fault-proxy.js';

export interface GraphQLResponse<Data = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: {
    data?: Data | null;
    errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
    extensions?: Record<string, unknown>;
  };
}

/** The `extensions.code` of each error in a response, in order. */
export const errorCodes = (response: { body: { errors?: { extensions?: Record<string, unknown> }[] } }) =>
  response.body.errors?.map((error) => error.extensions?.code);

/** Counts SQL statements per service through Prisma's query events. */
export class SqlCounter {
  readonly counts: Record<string, number>;
  readonly statements: { service: string; sql: string }[] = [];
  constructor(services: string[]) {
    this.counts = Object.fromEntries(services.map((service) => [service, 0]));
  }
  reset(): void {
    for (const service of Object.keys(this.counts)) this.counts[service] = 0;
    this.statements.length = 0;
  }
  total(): number {
    return Object.values(this.counts).reduce((sum, count) => sum + count, 0);
  }
}

/** Raw SQL on a subgraph's test database. */
export interface SqlClient {
  $queryRawUnsafe<T>(sql: string, ...params: unknown[]): Promise<T>;
  $executeRawUnsafe(sql: string, ...params: unknown[]): Promise<number>;
}

interface QueryEventClient {
  $on(event: 'query', listener: (event: { query: string }) => void): void;
}

interface RunningSubgraph {
  server: http.Server;
  handler: http.RequestListener;
  port: number;
  runJob: (name: string) => Promise<unknown>;
}

/**
 * The whole supergraph in this process: every subgraph the repository has (discovered by its manifest), each
 * on its own seeded test database and a real HTTP port, started by the same code as in production, and the
 * router in front, over real HTTP. What a client sees is what production sees. Subgraphs reach each other
 * through a fault proxy per subgraph (`proxies`), so tests can break a link on purpose. Background jobs run
 * only when a test asks (`runJob`); `env` adds settings for every subgraph.
 */
export async function startSupergraph({
  closedAccountsPollMs = 3_600_000,
  env: extraEnv = {},
  root = REPOSITORY_ROOT,
  supergraphSdl = readFileSync(path.join(REPOSITORY_ROOT, 'supergraph.graphql'), 'utf8'),
}: {
  closedAccountsPollMs?: number;
  env?: Record<string, string>;
  /** A repository (or a copy of one) whose subgraphs to start. */
  root?: string;
  supergraphSdl?: string;
} = {}) {
  const manifests = await loadSubgraphs(root);
  const names = manifests.map((manifest) => manifest.name);
  const keyDir = mkdtempSync(path.join(tmpdir(), 'shop-keys-'));
  const keys = await loadKeyPems({ keyDir, production: false });
  const internalToken = randomBytes(32).toString('base64url');
  /** Every service's log lines, parsed: tests follow a request id through them. */
  const logLines: { service: string; requestId?: string; msg: string }[] = [];
  const log = createLogger('supergraph', 'debug', { write: (line: string) => void logLines.push(JSON.parse(line)) });
  const sql = new SqlCounter(names);
  const servers: http.Server[] = [];
  const running = new Map<string, RunningSubgraph>();
  const closers: (() => Promise<void>)[] = [];
  const testDatabases: TestDatabase[] = [];
  const urls: Record<string, string> = {};
  const proxies: Record<string, FaultProxy> = {};
  /** GraphQL requests each subgraph received (not the routers' reads of its changes): proves what the router did not forward. */
  const subgraphRequests: Record<string, number> = Object.fromEntries(names.map((name) => [name, 0]));
  /** Each subgraph's database, for tests that look at its tables directly. */
  const prisma: Record<string, SqlClient> = {};
  /** Each subgraph's prepared hot reads (for tests that build a repository on its database). */
  const reads: Record<string, PreparedReads> = {};
  /**
   * Each service's own list of closed accounts, polled from users as in production (every
   * `closedAccountsPollMs`; by default rarely, so polling does not count in the SQL statement tests).
   */
  async function tokenCheck(usersUrl: () => string) {
    const closedAccounts = watchClosedAccounts({
      fetchClosedSince: (since) => closedAccountsFromUsers(usersUrl(), internalToken)(since),
      intervalMs: closedAccountsPollMs,
      log: log.child({ service: 'closed-accounts' }),
    });
    closers.push(async () => closedAccounts.stop());
    return { closedAccounts, verifyToken: await createTokenVerifier(keys.publicPem, closedAccounts.isClosed) };
  }

  try {
    // First a proxy per subgraph, so every subgraph knows where the others are before any starts.
    for (const name of names) {
      proxies[name] = await startFaultProxy();
      closers.push(proxies[name].close);
    }
    const flatEnv = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      ...Object.fromEntries(names.map((name) => [variablesOf(name).url, proxies[name]?.url])),
      ...extraEnv,
    };
    for (const manifest of manifests) {
      const { name } = manifest;
      const env = parseSubgraphEnvironment(manifest, flatEnv);
      const testDatabase = await createTestDatabase(name);
      testDatabases.push(testDatabase);
      const database = await openSubgraphDatabase(manifest, testDatabase.location, { logQueries: true });
      closers.push(() => database.close());
      await manifest.seed(database.prisma);
      const count = (statement: string) => {
        // Routers reading the change log poll in the background: not the work of any request a test sends.
        if (statement.includes('cache_change_log')) return;
        sql.counts[name] = (sql.counts[name] ?? 0) + 1;
        sql.statements.push({ service: name, sql: statement });
      };
      (database.prisma as QueryEventClient).$on('query', (event) => count(event.query));
      database.reads.onStatement(count);
      prisma[name] = database.prisma;
      reads[name] = database.reads;
      const subgraph = await startSubgraph(manifest, env.settings, {
        database,
        env: env.shared,
        log: log.child({ service: name }),
        keys,
        internalToken,
        ...(await tokenCheck(() => env.shared.USERS_URL)),
        runJobs: false,
      });
      closers.push(subgraph.close);
      const counted: http.RequestListener = (request, response) => {
        if (!request.url?.startsWith('/changes')) subgraphRequests[name] = (subgraphRequests[name] ?? 0) + 1;
        subgraph.handler(request, response);
      };
      const server = await listen(counted, { host: '127.0.0.1', port: 0, portVariable: 'PORT' });
      servers.push(server);
      const port = (server.address() as AddressInfo).port;
      running.set(name, { server, handler: counted, port, runJob: subgraph.runJob });
      urls[name] = urlOf(server, '/graphql');
      proxies[name]?.retarget(urls[name]);
    }
    /**
     * A router in front of these subgraphs; `env` overrides its settings (`<NAME>_URL`, NODE_ENV, limits, …).
     * Its cache is off unless `CACHE: 'on'`: tests of other things see every fetch reach its subgraph.
     */
    async function startRouter(env: Record<string, string | undefined> = {}) {
      const routerEnv = { NODE_ENV: 'test', LOG_LEVEL: 'silent', CACHE: 'off', ...env };
      const overridden = Object.entries(subgraphUrlOverrides(names, routerEnv)).filter(([, url]) => url);
      const urlOverrides: Record<string, string | undefined> = { ...urls, ...Object.fromEntries(overridden) };
      const usersUrl = urlOverrides.users ?? '';
      const router = await createRouter({
        env: routerEnvironment.parse(routerEnv),
        urlOverrides,
        log: log.child({ service: 'router' }),
        supergraphSdl,
        verifyToken: (await tokenCheck(() => usersUrl)).verifyToken,
        internalToken,
      });
      const server = await listen(router.handler, { host: '127.0.0.1', port: 0, portVariable: 'ROUTER_PORT' });
      server.on('upgrade', router.upgrade);
      const stop = async () => {
        router.endStreams();
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
        await router.stop();
      };
      closers.push(stop);
      return { url: urlOf(server, '/graphql'), stop, reload: router.reload };
    }
    const routerUrl = (await startRouter()).url;

    async function request<Data = Record<string, unknown>>(
      query: string,
      variables: Record<string, unknown> = {},
      options: { token?: string; headers?: Record<string, string>; url?: string } = {},
    ): Promise<GraphQLResponse<Data>> {
      const response = await fetch(options.url ?? routerUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          ...options.headers,
        },
        body: JSON.stringify({ query, variables }),
      });
      return {
        status: response.status,
        headers: response.headers,
        body: (await response.json()) as GraphQLResponse<Data>['body'],
      };
    }

    let products = 0;
    /**
     * Creates a product as `adminToken` (a unique SKU each time); answers its id and SKU. `url`: through that
     * router (a caching router answers a mutation only after dropping what it changed).
     */
    async function createProduct(
      adminToken: string,
      product: { name: string; stock: number; price?: number },
      url?: string,
    ) {
      const sku = `TEST-${process.pid}-${++products}`;
      const response = await request<{ createProduct: { id: string } }>(
        'mutation ($input: CreateProductInput!) { createProduct(input: $input) { id } }',
        {
          input: {
            sku,
            name: product.name,
            description: 'd',
            price: { amount: product.price ?? 500, currency: 'EUR' },
            stock: product.stock,
          },
        },
        { token: adminToken, ...(url ? { url } : {}) },
      );
      const id = response.body.data?.createProduct.id;
      if (!id) throw new Error(`createProduct failed: ${JSON.stringify(response.body.errors)}`);
      return { id, sku };
    }

    function subgraphNamed(name: string): RunningSubgraph {
      const entry = running.get(name);
      if (!entry) throw new Error(`no subgraph named ${name}; the supergraph has ${names.join(', ')}`);
      return entry;
    }

    async function logIn(email: string, password: string): Promise<string> {
      const { body } = await request<{ logIn: { token: string } }>(
        'mutation ($email: String!, $password: String!) { logIn(email: $email, password: $password) { token } }',
        { email, password },
      );
      if (!body.data?.logIn) throw new Error(`log-in failed: ${JSON.stringify(body.errors)}`);
      return body.data.logIn.token;
    }

    return {
      routerUrl,
      startRouter,
      subgraphUrls: urls,
      prisma,
      reads,
      sql,
      subgraphRequests,
      logLines,
      keys,
      internalToken,
      /** The fault proxy other subgraphs reach `name` through (the router calls it directly). */
      proxyTo: (name: string) => {
        const proxy = proxies[name];
        if (!proxy) throw new Error(`no subgraph named ${name}; the supergraph has ${names.join(', ')}`);
        return proxy;
      },
      /** Runs a subgraph's background job now (e.g. orders' recovery sweep), answering what the job answers. */
      runJob: (subgraph: string, job: string) => subgraphNamed(subgraph).runJob(job),
      request,
      createProduct,
      logIn,
      /** Development credentials from the seed. */
      logInAs: (who: 'admin' | 'ada' | 'linus') =>
        logIn(`${who}@shop.test`, who === 'admin' ? 'shop-admin-dev' : 'shop-customer-dev'),
      close: () => close(servers, closers, testDatabases, keyDir),
      /** Takes a subgraph off the network (connections refused), as if its process died. */
      stopSubgraph: async (name: string) => {
        const entry = subgraphNamed(name);
        entry.server.closeAllConnections();
        await new Promise((resolve) => entry.server.close(resolve));
      },
      /** Brings it back on the same port. */
      restartSubgraph: async (name: string) => {
        const entry = subgraphNamed(name);
        entry.server = await listen(entry.handler, { host: '127.0.0.1', port: entry.port, portVariable: 'PORT' });
        servers.push(entry.server);
      },
    };
  } catch (error) {
    await close(servers, closers, testDatabases, keyDir);
    throw error;
  }
}

async function close(
  servers: http.Server[],
  closers: (() => Promise<void>)[],
  databases: TestDatabase[],
  keyDir: string,
) {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  for (const closer of closers.reverse()) await closer().catch(() => undefined);
  for (const database of databases) await database.drop();
  rmSync(keyDir, { recursive: true, force: true });
}

export type Supergraph = Awaited<ReturnType<typeof startSupergraph>>;
