import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { databaseKind } from '@shop/subgraph-runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPOSITORY_ROOT } from '../../scripts/subgraphs.js';
import { freePort } from '../harness/ports.js';
import { type SubgraphProcess, startSubgraphProcess, until } from '../harness/subgraph-process.js';

/**
 * The five services as separate processes (as `npm start` runs them), exporting spans over OTLP/HTTP (JSON) to a
 * receiver in this test: one client request must come back as one trace across the router, every subgraph it
 * touched and their SQL. Processes have their own embedded databases, so this runs in the PGlite pass only.
 */
interface Span {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
}
const spans: Span[] = [];
let receiver: http.Server;
let receiverUrl: string;
const dataDir = mkdtempSync(path.join(tmpdir(), 'shop-tracing-'));
const subgraphs: Record<string, SubgraphProcess> = {};
let router: ChildProcess | undefined;
const ports = { router: 0, metrics: 0 };

/** An OTLP/JSON export request, flattened into spans with their service's name. */
function collect(body: {
  resourceSpans?: {
    resource?: { attributes?: { key: string; value: { stringValue?: string } }[] };
    scopeSpans?: {
      spans?: (Omit<Span, 'service' | 'attributes'> & {
        attributes?: { key: string; value: Record<string, unknown> }[];
      })[];
    }[];
  }[];
}) {
  for (const resource of body.resourceSpans ?? []) {
    const service =
      resource.resource?.attributes?.find((attribute) => attribute.key === 'service.name')?.value.stringValue ?? '?';
    for (const scope of resource.scopeSpans ?? []) {
      for (const span of scope.spans ?? []) {
        const attributes = Object.fromEntries(
          (span.attributes ?? []).map(({ key, value }) => [key, Object.values(value)[0]]),
        );
        spans.push({ ...span, service, attributes });
      }
    }
  }
}

const otel = () => ({
  DATA_DIR: dataDir,
  OTEL_EXPORTER_OTLP_ENDPOINT: receiverUrl,
  OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
  OTEL_BSP_SCHEDULE_DELAY: '100',
});

beforeAll(async () => {
  if (databaseKind === 'postgres') return;
  receiver = http.createServer((request, response) => {
    let text = '';
    request.on('data', (chunk) => {
      text += chunk;
    });
    request.on('end', () => {
      if (request.url === '/v1/traces') collect(JSON.parse(text));
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  // users first (every service asks it for closed accounts), products next (orders and faq call it).
  subgraphs.users = await startSubgraphProcess('users', otel());
  const usersUrl = subgraphs.users.url;
  subgraphs.products = await startSubgraphProcess('products', { ...otel(), USERS_URL: usersUrl });
  const productsUrl = subgraphs.products.url;
  for (const name of ['orders', 'faq']) {
    subgraphs[name] = await startSubgraphProcess(name, { ...otel(), USERS_URL: usersUrl, PRODUCTS_URL: productsUrl });
  }
  ports.router = await freePort();
  ports.metrics = await freePort();
  router = spawn(process.execPath, ['--import', 'tsx', path.join(REPOSITORY_ROOT, 'router/src/main.ts')], {
    cwd: REPOSITORY_ROOT,
    stdio: 'ignore',
    env: {
      PATH: process.env.PATH,
      LOG_LEVEL: 'silent',
      ...otel(),
      ROUTER_PORT: String(ports.router),
      ROUTER_METRICS_PORT: String(ports.metrics),
      ...Object.fromEntries(
        Object.entries(subgraphs).map(([name, process]) => [`${name.toUpperCase()}_URL`, process.url]),
      ),
    },
  });
  await until(
    () =>
      fetch(`http://127.0.0.1:${ports.router}/ready`).then(
        (response) => response.ok,
        () => false,
      ),
    60_000,
    () => router?.exitCode !== null,
  );
}, 240_000);

afterAll(async () => {
  if (router && router.exitCode === null) {
    const exited = new Promise((resolve) => router?.once('exit', resolve));
    router.kill('SIGTERM');
    await exited;
  }
  for (const process of Object.values(subgraphs)) await process.stop();
  receiver?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function graphql(query: string, headers: Record<string, string> = {}) {
  const response = await fetch(`http://127.0.0.1:${ports.router}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query }),
  });
  return (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
}

describe.skipIf(databaseKind === 'postgres')('tracing and metrics across the five processes', () => {
  it('makes one trace of one client request: the router, its fetches, every subgraph it touched and their SQL', async () => {
    const logIn = await graphql('mutation { logIn(email: "ada@shop.test", password: "shop-customer-dev") { token } }');
    const token = (logIn.data as { logIn: { token: string } }).logIn.token;
    const requestId = `trace-${process.pid}`;
    const answer = await graphql(
      'query MyOrders { me { name orders(first: 2) { edges { node { number items { product { name faqs { question } } } } } } } }',
      { authorization: `Bearer ${token}`, 'x-request-id': requestId },
    );
    expect(answer.errors).toBeUndefined();

    const services = ['router', 'users', 'orders', 'products', 'faq'];
    const inTrace = () => {
      const root = spans.find((span) => span.service === 'router' && span.attributes['shop.request_id'] === requestId);
      return root ? spans.filter((span) => span.traceId === root.traceId) : [];
    };
    await until(() => {
      const trace = inTrace();
      return services.every((service) =>
        trace.some((span) => span.service === service && /db_query/.test(span.name) === (service !== 'router')),
      );
    }, 20_000);
    const trace = inTrace();

    // Every span carrying the request id is in this one trace.
    const tagged = spans.filter((span) => span.attributes['shop.request_id'] === requestId);
    expect(new Set(tagged.map((span) => span.traceId)).size).toBe(1);
    expect(new Set(trace.map((span) => span.service))).toEqual(new Set(services));

    const router = trace.filter((span) => span.service === 'router');
    const root = router.find((span) => !span.parentSpanId);
    expect(root?.name).toBe('query MyOrders');
    const fetches = router.filter((span) => span.name === 'gateway.fetch');
    expect(fetches.length).toBeGreaterThanOrEqual(4);
    const byId = new Map(trace.map((span) => [span.spanId, span]));
    for (const service of services.slice(1)) {
      const own = trace.filter((span) => span.service === service);
      // The subgraph's request span is a child of one of the router's fetches, and named by its operation.
      const served = own.filter((span) => span.kind === 2);
      expect(served.length, `${service} request spans`).toBeGreaterThan(0);
      for (const span of served) expect(byId.get(span.parentSpanId ?? '')?.name).toBe('gateway.fetch');
      expect(served.every((span) => /^(query|mutation) /.test(span.name))).toBe(true);
      // Its SQL statements are spans under that request.
      const statements = own.filter((span) => /db_query/.test(span.name));
      expect(statements.length, `${service} SQL spans`).toBeGreaterThan(0);
      for (const statement of statements) {
        let ancestor: Span | undefined = statement;
        while (ancestor && ancestor.kind !== 2) ancestor = byId.get(ancestor.parentSpanId ?? '');
        expect(ancestor?.service, `${service} SQL under its request span`).toBe(service);
      }
    }
    console.info(
      `one request, one trace: ${trace.length} spans (${services.map((service) => `${service} ${trace.filter((span) => span.service === service).length}`).join(', ')})`,
    );
  });

  it('serves Prometheus metrics on a port of its own, not the public one', async () => {
    const text = await (await fetch(`http://127.0.0.1:${ports.metrics}/metrics`)).text();
    expect(text).toMatch(/router_request_duration_seconds_count\{operation="MyOrders"\} [1-9]/);
    expect(text).toMatch(/router_subgraph_fetch_duration_seconds_count\{subgraph="orders"\} [1-9]/);
    expect(text).toMatch(/router_cache_parts_total\{subgraph="orders",result="miss"\} [1-9]/);
    expect(text).toContain('router_errors_total');
    expect(text).toContain('process_cpu_user_seconds_total');
    expect((await fetch(`http://127.0.0.1:${ports.router}/metrics`)).status).toBe(404);
  });
});
