import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { faqDatabase } from '@shop/faq/database';
import { environment as faqEnvironment } from '@shop/faq/env';
import { createFaqSubgraph } from '@shop/faq/server';
import { ordersDatabase } from '@shop/orders/database';
import { environment as ordersEnvironment } from '@shop/orders/env';
import { createOrdersSubgraph } from '@shop/orders/server';
import { productsDatabase } from '@shop/products/database';
import { environment as productsEnvironment } from '@shop/products/env';
import { createProductsSubgraph } from '@shop/products/server';
import { environment as routerEnvironment } from '@shop/router/env';
import { createRouter } from '@shop/router/server';
import {
  type ClosedAccounts,
  closedAccountsFromUsers,
  createLogger,
  createTokenVerifier,
  listen,
  loadKeyPems,
  REPOSITORY_ROOT,
  type ServiceName,
  urlOf,
  watchClosedAccounts,
} from '@shop/subgraph-kit';
import { createTestDatabase, type TestDatabase } from '@shop/subgraph-kit/testing';
import { usersDatabase } from '@shop/users/database';
import { environment as usersEnvironment } from '@shop/users/env';
import { createUsersSubgraph } from '@shop/users/server';
import { startFaultProxy } from './fault-proxy.js';

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
  readonly counts: Record<ServiceName, number> = { users: 0, products: 0, orders: 0, faq: 0 };
  readonly statements: { service: ServiceName; sql: string }[] = [];
  reset(): void {
    for (const service of Object.keys(this.counts) as ServiceName[]) this.counts[service] = 0;
    this.statements.length = 0;
  }
  total(): number {
    return Object.values(this.counts).reduce((sum, count) => sum + count, 0);
  }
}

interface QueryEventClient {
  $on(event: 'query', listener: (event: { query: string }) => void): void;
}

const DEFINITIONS = [
  { database: usersDatabase, environment: usersEnvironment, build: createUsersSubgraph },
  { database: productsDatabase, environment: productsEnvironment, build: createProductsSubgraph },
  { database: ordersDatabase, environment: ordersEnvironment, build: createOrdersSubgraph },
  { database: faqDatabase, environment: faqEnvironment, build: createFaqSubgraph },
] as const;

/**
 * The whole supergraph in this process: four subgraphs on their own (seeded) test databases, each on a
 * real HTTP port, and the router in front, over real HTTP. What a client sees is what production sees.
 */
export async function startSupergraph({ closedAccountsPollMs = 3_600_000 } = {}) {
  const keyDir = mkdtempSync(path.join(tmpdir(), 'shop-keys-'));
  const keys = await loadKeyPems({ keyDir, production: false });
  const internalToken = randomBytes(32).toString('base64url');
  /** Every service's log lines, parsed: tests follow a request id through them. */
  const logLines: { service: string; requestId?: string; msg: string }[] = [];
  const log = createLogger('supergraph', 'info', { write: (line: string) => void logLines.push(JSON.parse(line)) });
  const sql = new SqlCounter();
  const servers: http.Server[] = [];
  const subgraphServers: Partial<
    Record<ServiceName, { server: http.Server; handler: http.RequestListener; port: number }>
  > = {};
  const closers: (() => Promise<void>)[] = [];
  const testDatabases: TestDatabase[] = [];
  const urls: Partial<Record<ServiceName, string>> = {};
  /** HTTP requests each subgraph received: proves what the router did not forward. */
  const subgraphRequests: Record<ServiceName, number> = { users: 0, products: 0, orders: 0, faq: 0 };
  const prisma: Partial<Record<ServiceName, unknown>> = {};
  /**
   * Each service's own list of closed accounts, polled from users as in production (every
   * `closedAccountsPollMs`; by default rarely, so polling does not count in the SQL statement tests).
   */
  const closedAccountLists: ClosedAccounts[] = [];
  async function tokenCheck() {
    const closedAccounts = watchClosedAccounts({
      fetchClosedSince: (since) =>
        closedAccountsFromUsers(urls.users ?? 'http://127.0.0.1:9/graphql', internalToken)(since),
      intervalMs: closedAccountsPollMs,
      log: log.child({ service: 'closed-accounts' }),
    });
    closedAccountLists.push(closedAccounts);
    closers.push(async () => closedAccounts.stop());
    return { closedAccounts, verifyToken: await createTokenVerifier(keys.publicPem, closedAccounts.isClosed) };
  }
  let recoverUnfinishedOrders: (() => Promise<string[]>) | undefined;
  // Orders reaches products through this proxy, so tests can break that link on purpose.
  let productsProxy: Awaited<ReturnType<typeof startFaultProxy>> | undefined;

  try {
    // Products first: orders calls it directly.
    for (const name of ['users', 'products', 'orders', 'faq'] as const) {
      const definition = DEFINITIONS.find((candidate) => candidate.database.service === name);
      if (!definition) throw new Error(name);
      const testDatabase = await createTestDatabase(name);
      testDatabases.push(testDatabase);
      const database = await definition.database.open(testDatabase.location, { logQueries: true });
      closers.push(() => database.close());
      await definition.database.seed(database.prisma as never);
      (database.prisma as QueryEventClient).$on('query', (event) => {
        sql.counts[name]++;
        sql.statements.push({ service: name, sql: event.query });
      });
      prisma[name] = database.prisma;
      if (name === 'orders' && urls.products) {
        productsProxy = await startFaultProxy(urls.products);
        closers.push(productsProxy.close);
      }
      const env = definition.environment.parse({
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        PRODUCTS_URL: productsProxy?.url,
        // Tests run the recovery sweep themselves, when they want it.
        ORDER_RECOVERY_INTERVAL_SECONDS: 3600,
      });
      const subgraph = await definition.build({
        prisma: database.prisma as never,
        env: env as never,
        log: log.child({ service: name }),
        keys,
        ...(await tokenCheck()),
        internalToken,
      });
      if ('close' in subgraph && subgraph.close) closers.push(subgraph.close);
      if ('recoverUnfinishedOrders' in subgraph) recoverUnfinishedOrders = subgraph.recoverUnfinishedOrders;
      const counted: http.RequestListener = (request, response) => {
        subgraphRequests[name]++;
        subgraph.handler(request, response);
      };
      const server = await listen(counted, { host: '127.0.0.1', port: 0, portVariable: 'PORT' });
      servers.push(server);
      subgraphServers[name] = { server, handler: counted, port: (server.address() as AddressInfo).port };
      urls[name] = urlOf(server, '/graphql');
    }
    const supergraphSdl = readFileSync(path.join(REPOSITORY_ROOT, 'supergraph.graphql'), 'utf8');
    /** A router in front of these subgraphs; `env` overrides its settings (URLs, NODE_ENV, limits, …). */
    async function startRouter(env: Record<string, string | undefined> = {}) {
      const routerEnv = routerEnvironment.parse({
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        USERS_URL: urls.users,
        PRODUCTS_URL: urls.products,
        ORDERS_URL: urls.orders,
        FAQ_URL: urls.faq,
        ...env,
      });
      const router = await createRouter({
        env: routerEnv,
        log: log.child({ service: 'router' }),
        supergraphSdl,
        verifyToken: (await tokenCheck()).verifyToken,
      });
      const server = await listen(router.handler, { host: '127.0.0.1', port: 0, portVariable: 'ROUTER_PORT' });
      const stop = async () => {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
        await router.stop();
      };
      closers.push(stop);
      return { url: urlOf(server, '/graphql'), stop };
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
      subgraphUrls: urls as Record<ServiceName, string>,
      prisma: prisma as Record<ServiceName, unknown>,
      sql,
      subgraphRequests,
      logLines,
      keys,
      internalToken,
      productsProxy: productsProxy as NonNullable<typeof productsProxy>,
      /** Runs the orders service's recovery sweep now; answers the numbers of the orders it settled. */
      recoverUnfinishedOrders: () => (recoverUnfinishedOrders as NonNullable<typeof recoverUnfinishedOrders>)(),
      request,
      logIn,
      /** Development credentials from the seed. */
      logInAs: (who: 'admin' | 'ada' | 'linus') =>
        logIn(`${who}@shop.test`, who === 'admin' ? 'shop-admin-dev' : 'shop-customer-dev'),
      close: () => close(servers, closers, testDatabases, keyDir),
      /** Every service asks users for closed accounts now, instead of at its next poll. */
      refreshClosedAccounts: () => Promise.all(closedAccountLists.map((list) => list.refresh())),
      /** Takes a subgraph off the network (connections refused), as if its process died. */
      stopSubgraph: async (name: ServiceName) => {
        const entry = subgraphServers[name] as NonNullable<(typeof subgraphServers)[ServiceName]>;
        entry.server.closeAllConnections();
        await new Promise((resolve) => entry.server.close(resolve));
      },
      /** Brings it back on the same port. */
      restartSubgraph: async (name: ServiceName) => {
        const entry = subgraphServers[name] as NonNullable<(typeof subgraphServers)[ServiceName]>;
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
