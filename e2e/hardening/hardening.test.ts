import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { serverAudits } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPOSITORY_ROOT } from '../../scripts/subgraphs.js';
import { freePort } from '../harness/ports.js';
import { subscribe } from '../harness/subscriptions.js';
import { errorCodes, type Supergraph, startSupergraph } from '../harness/supergraph.js';

/** A public endpoint meets hostile clients and failing backends; each case has a documented status and code. */
let supergraph: Supergraph;
let ada: string;

beforeAll(async () => {
  supergraph = await startSupergraph();
  ada = await supergraph.logInAs('ada');
});
afterAll(() => supergraph?.close());

const json = { 'content-type': 'application/json' };
async function send(body: string, headers: Record<string, string> = json, url = supergraph.routerUrl) {
  const response = await fetch(url, { method: 'POST', headers, body });
  const text = await response.text();
  let parsed: { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] } = {};
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: response.status, body: parsed, text };
}
const query = (text: string, variables?: object) => JSON.stringify({ query: text, variables });
const NORMAL = '{ products(first: 2) { edges { node { name faqs { question } } } } }';

let deep = 'slug';
for (let level = 0; level < 10; level++) deep = `products { edges { node { category { ${deep} } } } }`;

type Probe = () => Promise<{ status: number; body: { errors?: { extensions?: Record<string, unknown> }[] } }>;

const aliases = Array.from({ length: 30 }, (_, i) => `a${i}: categories { slug }`).join(' ');
const rootFields = Array.from({ length: 10 }, (_, i) => `f${i}: faqs { totalCount }`).join(' ');
const fragmentBomb = `fragment P on Product { id sku name description stock price { amount currency } category { slug } faqs { question answer } }
  { ${Array.from({ length: 9 }, (_, i) => `p${i}: products(first: 100) { edges { node { ...P category { products { edges { node { ...P } } } } } } }`).join(' ')} }`;
const getMutation: Probe = async () => {
  const text = encodeURIComponent('mutation { logIn(email: "a@b.c", password: "xxxxxxxx") { token } }');
  const response = await fetch(`${supergraph.routerUrl}?query=${text}`, {
    headers: { 'apollo-require-preflight': 'true' },
  });
  return { status: response.status, body: (await response.json()) as Awaited<ReturnType<Probe>>['body'] };
};

/** Each hostile or malformed request, the status it gets, and the code among its errors. */
const CORPUS: { name: string; status: number; code: string; send: Probe }[] = [
  { name: 'deep nesting', status: 400, code: 'QUERY_TOO_DEEP', send: () => send(query(`{ categories { ${deep} } }`)) },
  { name: 'an alias bomb', status: 400, code: 'TOO_MANY_ALIASES', send: () => send(query(`{ ${aliases} }`)) },
  {
    name: 'too many root fields',
    status: 400,
    code: 'TOO_MANY_ROOT_FIELDS',
    send: () => send(query(`{ c: categories { slug } ${rootFields} }`)),
  },
  {
    name: 'a directive flood',
    status: 400,
    code: 'TOO_MANY_DIRECTIVES',
    send: () => send(query(`{ categories { ${'... @skip(if: false) { slug } '.repeat(30)} } }`)),
  },
  {
    name: 'a token flood',
    status: 400,
    code: 'TOO_MANY_TOKENS',
    send: () => send(query(`{ categories { ${'slug '.repeat(3000)} } }`)),
  },
  { name: 'a fragment bomb (cost)', status: 400, code: 'QUERY_TOO_COMPLEX', send: () => send(query(fragmentBomb)) },
  {
    name: 'circular fragments',
    status: 400,
    code: 'GRAPHQL_VALIDATION_FAILED',
    send: () => send(query('fragment A on Query { ...B } fragment B on Query { ...A } { ...A }')),
  },
  { name: 'invalid JSON', status: 400, code: 'BAD_REQUEST', send: () => send('{"query": ') },
  {
    name: 'a text/plain body (CSRF)',
    status: 400,
    code: 'BAD_REQUEST',
    send: () => send(query('{ categories { slug } }'), { 'content-type': 'text/plain' }),
  },
  {
    name: 'an oversized body',
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    send: () => send(JSON.stringify({ query: '{ categories { slug } }', variables: { x: 'y'.repeat(1_100_000) } })),
  },
  {
    name: 'a batch array',
    status: 400,
    code: 'BAD_REQUEST',
    send: () => send(JSON.stringify([{ query: '{ categories { slug } }' }, { query: '{ categories { slug } }' }])),
  },
  {
    name: 'a huge string argument',
    status: 200,
    code: 'BAD_USER_INPUT',
    send: () =>
      send(query('query ($s: String) { products(filter: { search: $s }) { totalCount } }', { s: 'x'.repeat(500_000) })),
  },
  {
    name: 'a variable of the wrong type',
    status: 400,
    code: 'BAD_USER_INPUT',
    send: () => send(query('query ($n: Int) { products(first: $n) { totalCount } }', { n: 'many' })),
  },
  { name: 'a mutation over GET', status: 405, code: 'BAD_REQUEST', send: getMutation },
];

describe('hostile and malformed requests', () => {
  it.each(CORPUS)('$name → $status $code', async ({ status, code, send: request }) => {
    const response = await request();
    expect(response.status).toBe(status);
    // A request can break more than one limit (an alias bomb also has too many root fields): each is named.
    expect(errorCodes(response)).toContain(code);
  });

  it('a huge list is refused by the service rule, not by memory', async () => {
    const items = Array.from({ length: 10_000 }, () => ({
      productId: '00000000-0000-4000-8000-000000000000',
      quantity: 1,
    }));
    const response = await supergraph.request(
      'mutation ($items: [OrderItemInput!]!) { placeOrder(input: { items: $items }) { id } }',
      { items },
      { token: ada },
    );
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
  });

  it('keeps answering normal queries afterwards, with every subgraph ready', async () => {
    const response = await send(query(NORMAL));
    expect(response.status).toBe(200);
    expect(response.body.errors).toBeUndefined();
    const health = await fetch(new URL('/health/subgraphs', supergraph.routerUrl));
    expect(health.status).toBe(200);
  });
});

describe('production mode', () => {
  it('refuses introspection, hides suggestions, masks unexpected errors with the request id', async () => {
    const production = await supergraph.startRouter({ NODE_ENV: 'production' });
    const introspection = await send(query('{ __schema { types { name } } }'), json, production.url);
    expect(introspection.status).toBe(400);
    expect(introspection.text).not.toContain('"types"');
    const typo = await send(query('{ categories { slugg } }'), json, production.url);
    expect(typo.text).not.toContain('Did you mean');
    expect(typo.text).not.toContain('stacktrace');
    expect(errorCodes(typo)).toEqual(['GRAPHQL_VALIDATION_FAILED']);

    const explorer = await fetch(production.url.replace('/graphql', '/'), { headers: { accept: 'text/html' } });
    expect(await explorer.text()).not.toContain('GraphiQL');
    // CSRF prevention stays on.
    expect(
      (await send(query('{ categories { slug } }'), { 'content-type': 'text/plain' }, production.url)).status,
    ).toBe(400);

    // Something truly unexpected (here a column gone from under the FAQ service): masked, with the request id.
    await supergraph.prisma.faq?.$executeRawUnsafe('ALTER TABLE faqs RENAME COLUMN answer TO answer_moved');
    try {
      const broken = await send(query('{ faqs(first: 1) { edges { node { answer } } } }'), json, production.url);
      expect(errorCodes(broken)).toEqual(['INTERNAL_SERVER_ERROR']);
      const [error] = broken.body.errors ?? [];
      expect(error?.message).toMatch(/^Internal server error \(request [\w-]+\)$/);
      expect(error?.extensions).toMatchObject({ requestId: expect.any(String), serviceName: 'faq' });
      expect(broken.text).not.toMatch(/prisma|answer_moved|stacktrace/i);
    } finally {
      await supergraph.prisma.faq?.$executeRawUnsafe('ALTER TABLE faqs RENAME COLUMN answer_moved TO answer');
    }
    await production.stop();
  });
});

describe('subgraph failures', () => {
  it('answers the rest of the query when a subgraph is down, names it, and recovers within 2 s of its return', async () => {
    // Without the response cache, which would answer from what it kept (the failure path is what is tested).
    const uncached = await supergraph.startRouter({ CACHE: 'off' });
    await supergraph.stopSubgraph('faq');
    try {
      const partial = await send(query(NORMAL), json, uncached.url);
      expect(partial.status).toBe(200);
      const products = (partial.body.data as { products: { edges: { node: { name: string; faqs: unknown } }[] } })
        .products;
      expect(products.edges).toHaveLength(2);
      expect(products.edges.every((edge) => edge.node.name && edge.node.faqs === null)).toBe(true);
      expect(partial.body.errors?.[0]?.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', serviceName: 'faq' });
      const health = await fetch(new URL('/health/subgraphs', supergraph.routerUrl));
      expect(health.status).toBe(503);
      expect(await health.json()).toMatchObject({
        status: 'unavailable',
        subgraphs: { faq: 'unavailable', products: 'ready' },
      });
      // Still ready: it serves everything but the FAQs, so it stays in its Service.
      const ready = await fetch(new URL('/ready', supergraph.routerUrl));
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'ready', schema: expect.stringMatching(/^[0-9a-f]{16}$/) });
    } finally {
      await supergraph.restartSubgraph('faq');
    }
    const restarted = performance.now();
    let recoveredAfterMs = Number.POSITIVE_INFINITY;
    while (performance.now() - restarted < 5000) {
      const response = await send(query(NORMAL), json, uncached.url);
      if (!response.body.errors) {
        recoveredAfterMs = performance.now() - restarted;
        break;
      }
    }
    console.info(`full answers again ${recoveredAfterMs.toFixed(0)} ms after the subgraph came back`);
    expect(recoveredAfterMs).toBeLessThan(2000);
    await uncached.stop();
  });

  it('keeps answering a stream of queries while a subgraph goes down and comes back', async () => {
    const outcomes: string[] = [];
    const stream = (async () => {
      for (let i = 0; i < 60; i++) {
        const response = await send(query(NORMAL));
        outcomes.push(
          response.status !== 200 ? `status ${response.status}` : response.body.errors ? 'partial' : 'full',
        );
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 30));
    await supergraph.stopSubgraph('faq');
    await new Promise((resolve) => setTimeout(resolve, 150));
    await supergraph.restartSubgraph('faq');
    await stream;
    expect(outcomes.filter((outcome) => outcome.startsWith('status'))).toEqual([]);
    expect(outcomes.at(-1)).toBe('full');
  });

  it('times out a hung subgraph instead of waiting forever', async () => {
    const hung = http.createServer(() => undefined); // accepts, never answers
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    const router = await supergraph.startRouter({
      FAQ_URL: `http://127.0.0.1:${(hung.address() as AddressInfo).port}/graphql`,
      SUBGRAPH_TIMEOUT_MS: '300',
    });
    try {
      const response = await send(query(NORMAL), json, router.url);
      expect(response.status).toBe(200);
      expect(response.body.errors?.[0]).toMatchObject({
        message: 'the faq service did not answer within 300 ms',
        extensions: { code: 'SERVICE_UNAVAILABLE', serviceName: 'faq' },
      });
    } finally {
      hung.closeAllConnections();
      hung.close();
      await router.stop();
    }
  });
});

describe('persisted operations (safelist mode)', () => {
  it('runs listed operations by hash or text, and refuses anything else', async () => {
    const router = await supergraph.startRouter({ PERSISTED_OPERATIONS: 'safelist' });
    const { readFileSync } = await import('node:fs');
    const manifest = JSON.parse(readFileSync(path.join(REPOSITORY_ROOT, 'operations/manifest.json'), 'utf8'));
    const [sha256Hash, document] = Object.entries(manifest as Record<string, string>).find(([, text]) =>
      text.startsWith('query ProductPage('),
    ) as [string, string];
    expect(createHash('sha256').update(document).digest('hex')).toBe(sha256Hash);
    const byHash = await send(
      JSON.stringify({
        variables: { sku: 'CF-MUG-CERAMIC' },
        extensions: { persistedQuery: { version: 1, sha256Hash } },
      }),
      json,
      router.url,
    );
    expect(byHash.body).toMatchObject({ data: { product: { name: 'Ceramic Mug' } } });
    const byText = await send(
      JSON.stringify({ query: document, variables: { sku: 'CF-MUG-CERAMIC' } }),
      json,
      router.url,
    );
    expect(byText.body).toMatchObject({ data: { product: { name: 'Ceramic Mug' } } });

    const unknownHash = await send(
      JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: 'f'.repeat(64) } } }),
      json,
      router.url,
    );
    expect([unknownHash.status, errorCodes(unknownHash)]).toEqual([400, ['PERSISTED_QUERY_NOT_IN_SAFELIST']]);
    const adHoc = await send(query('{ users { totalCount } }'), json, router.url);
    expect([adHoc.status, errorCodes(adHoc)]).toEqual([400, ['PERSISTED_QUERY_NOT_IN_SAFELIST']]);
    await router.stop();
  });
});

describe('GraphQL over HTTP', () => {
  it('passes every MUST of the graphql-http audit', async () => {
    const results = await Promise.all(
      serverAudits({ url: supergraph.routerUrl, fetchFn: fetch }).map((audit) =>
        audit.fn().then((result) => ({ audit, result })),
      ),
    );
    const mustFailures = results.filter(({ audit, result }) => audit.name.startsWith('MUST') && result.status !== 'ok');
    const other = results.filter(({ audit, result }) => !audit.name.startsWith('MUST') && result.status !== 'ok');
    console.info(
      `graphql-http audit: ${results.length} audits, ${mustFailures.length} MUST failures, ${other.length} SHOULD/MAY deviations`,
    );
    for (const { audit, result } of other)
      console.info(`  ${audit.name}: ${result.status} — ${'reason' in result ? result.reason : ''}`);
    expect(
      mustFailures.map(({ audit, result }) => `${audit.name}: ${'reason' in result ? result.reason : ''}`),
    ).toEqual([]);
  });
});

describe('graceful shutdown', () => {
  it('finishes in-flight requests on SIGTERM (no connection reset) and exits 0', async () => {
    // FAQ answers slowly, so the requests are surely in flight when SIGTERM arrives.
    // (The router's cache also reads FAQ's change log through it: GET /changes, forwarded as they are.)
    const slowFaq = http.createServer(async (request, response) => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      await new Promise((resolve) => setTimeout(resolve, 400));
      try {
        const upstream = await fetch(new URL(request.url ?? '/', supergraph.subgraphUrls.faq), {
          method: request.method,
          headers: { ...json, 'x-internal-token': String(request.headers['x-internal-token'] ?? '') },
          ...(request.method === 'POST' ? { body: Buffer.concat(chunks) } : {}),
        });
        response.writeHead(upstream.status, { 'content-type': 'application/json' });
        response.end(await upstream.text());
      } catch {
        response.writeHead(502).end(); // FAQ itself stopped (the test is over)
      }
    });
    await new Promise<void>((resolve) => slowFaq.listen(0, '127.0.0.1', resolve));
    const { router, url, exited } = await spawnRouter(
      `http://127.0.0.1:${(slowFaq.address() as AddressInfo).port}/graphql`,
    );
    try {
      const inFlight = Array.from({ length: 40 }, () => send(query(NORMAL), json, url));
      await new Promise((resolve) => setTimeout(resolve, 150));
      router.kill('SIGTERM');
      const results = await Promise.allSettled(inFlight);
      expect(
        results.map((result) =>
          result.status === 'fulfilled'
            ? result.value.status
            : `${result.reason} ${(result.reason as { cause?: { code?: string } }).cause?.code}`,
        ),
      ).toEqual(Array(40).fill(200));
      expect(results.every((result) => result.status === 'fulfilled' && !result.value.body.errors)).toBe(true);
      expect(await exited).toBe(0);
    } finally {
      if (router.exitCode === null) router.kill('SIGKILL');
      slowFaq.close();
    }
  });

  it('ends open subscriptions on SIGTERM, over SSE and WebSocket, and exits 0', async () => {
    const { router, url, exited } = await spawnRouter(supergraph.subgraphUrls.faq as string);
    try {
      const token = await supergraph.logInAs('ada');
      const request = { query: 'subscription { orderUpdated { sequence } }' };
      const open = (['sse', 'websocket'] as const).map((transport) => subscribe(transport, url, request, token));
      // Both streams are open once the router has answered them (SSE: its stream started; WebSocket: acknowledged).
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      router.kill('SIGTERM');
      // A WebSocket holds an HTTP server open for ever: without ending it the router would never exit.
      expect(await exited).toBe(0);
      await Promise.all(open.map((subscription) => subscription.ended));
    } finally {
      if (router.exitCode === null) router.kill('SIGKILL');
    }
  });
});

/** The router as its own process (its real signal handling), with FAQ at `faqUrl`; once it answers /health. */
async function spawnRouter(faqUrl: string) {
  const port = await freePort();
  const router: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(REPOSITORY_ROOT, 'router/src/main.ts')],
    {
      cwd: REPOSITORY_ROOT,
      stdio: 'ignore',
      env: {
        PATH: process.env.PATH,
        LOG_LEVEL: 'silent',
        ROUTER_PORT: String(port),
        ROUTER_METRICS_PORT: '0', // any free port: never collide with another router's
        JWT_PUBLIC_KEY: supergraph.keys.publicPem,
        INTERNAL_API_TOKEN: supergraph.internalToken,
        USERS_URL: supergraph.subgraphUrls.users,
        PRODUCTS_URL: supergraph.subgraphUrls.products,
        ORDERS_URL: supergraph.subgraphUrls.orders,
        FAQ_URL: faqUrl,
      },
    },
  );
  const exited = new Promise<number | null>((resolve) => router.on('exit', (code) => resolve(code)));
  for (let attempt = 0; attempt < 150; attempt++) {
    const up = await fetch(`http://127.0.0.1:${port}/health`).then(
      (response) => response.ok,
      () => false,
    );
    if (up) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { router, url: `http://127.0.0.1:${port}/graphql`, exited };
}
