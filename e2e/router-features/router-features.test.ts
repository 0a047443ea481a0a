import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createBrotliDecompress, createGunzip } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPOSITORY_ROOT } from '../../scripts/subgraphs.js';
import { startGate } from '../harness/gate.js';
import { freePort } from '../harness/ports.js';
import { deleteRedisKeys, TEST_REDIS_URL } from '../harness/redis.js';
import { errorCodes, type Supergraph, startSupergraph } from '../harness/supergraph.js';

let supergraph: Supergraph;
let ada: string;
let admin: string;

beforeAll(async () => {
  supergraph = await startSupergraph();
  [ada, admin] = await Promise.all([supergraph.logInAs('ada'), supergraph.logInAs('admin')]);
});
afterAll(() => supergraph?.close());

const CATALOGUE = '{ products(first: 50) { edges { node { id name description price { amount currency } } } } }';

/** A raw POST: the body as bytes, undecoded (fetch would decode it). */
async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const { request } = await import('node:http');
  return new Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
    const sent = request(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    sent.on('error', reject);
    sent.end(JSON.stringify(body));
  });
}

const decode = async (encoding: unknown, body: Buffer) => {
  if (encoding === undefined) return body.toString();
  const decoder = encoding === 'br' ? createBrotliDecompress() : createGunzip();
  const chunks: Buffer[] = [];
  decoder.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise((resolve) => decoder.on('end', resolve));
  decoder.end(body);
  await done;
  return Buffer.concat(chunks).toString();
};

describe('compression', () => {
  it('by default sends Brotli or gzip as Accept-Encoding prefers, the same answer once decoded, and small answers as they are', async () => {
    const url = supergraph.routerUrl;
    const plain = await post(url, { query: CATALOGUE });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.length).toBeGreaterThan(1024);
    const brotli = await post(url, { query: CATALOGUE }, { 'accept-encoding': 'gzip, deflate, br' });
    expect(brotli.headers['content-encoding']).toBe('br');
    expect(brotli.headers.vary).toMatch(/accept-encoding/i);
    expect(JSON.parse(await decode('br', brotli.body))).toEqual(JSON.parse(plain.body.toString()));
    expect(brotli.body.length).toBeLessThan(plain.body.length / 2);
    const gzip = await post(url, { query: CATALOGUE }, { 'accept-encoding': 'gzip' });
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(await decode('gzip', gzip.body))).toEqual(JSON.parse(plain.body.toString()));
    const small = await post(url, { query: '{ categories { id } }' }, { 'accept-encoding': 'br' });
    expect(small.body.length).toBeLessThan(1024);
    expect(small.headers['content-encoding']).toBeUndefined();
  });

  it('COMPRESSION=off sends every answer as it is', async () => {
    const router = await supergraph.startRouter({ COMPRESSION: 'off' });
    const answer = await post(router.url, { query: CATALOGUE }, { 'accept-encoding': 'br, gzip' });
    expect(answer.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(answer.body.toString()).data.products.edges.length).toBeGreaterThan(0);
    await router.stop();
  });

  it('flushes each part of an incremental answer: the first part decodes while a deferred part is held', async () => {
    const gate = await startGate(supergraph.subgraphUrls.faq as string);
    const router = await supergraph.startRouter({
      FAQ_URL: gate.url,
      COMPRESSION_THRESHOLD_BYTES: '0',
    });
    const { request } = await import('node:http');
    const query = '{ products(first: 3) { edges { node { id name ... @defer { faqs { question } } } } } }';
    const parts = await new Promise<{ first: string; encoding: unknown; rest: Promise<string> }>((resolve, reject) => {
      const sent = request(
        router.url,
        {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'multipart/mixed;deferSpec=20220824, application/json',
            'accept-encoding': 'gzip',
          },
        },
        (res) => {
          const gunzip = createGunzip();
          res.pipe(gunzip);
          let text = '';
          let resolved = false;
          const ended = new Promise<string>((done) => gunzip.on('end', () => done(text)));
          gunzip.on('data', (chunk: Buffer) => {
            text += chunk.toString();
            // The first part is whole once its closing boundary came: the FAQ subgraph still holds the rest.
            if (!resolved && text.includes('"hasNext":true}\r\n--graphql')) {
              resolved = true;
              resolve({ first: text, encoding: res.headers['content-encoding'], rest: ended });
            }
          });
        },
      );
      sent.on('error', reject);
      sent.end(JSON.stringify({ query }));
    });
    expect(parts.encoding).toBe('gzip');
    expect(gate.held()).toBeGreaterThan(0);
    expect(parts.first).toContain('"products"');
    gate.open();
    const whole = await parts.rest;
    expect(whole).toContain('"faqs"');
    expect(whole).toContain('"hasNext":false');
    await router.stop();
    await gate.close();
  });

  it('compresses an event stream and flushes each event: a subscription event decodes while the stream stays open', async () => {
    const { request } = await import('node:http');
    const { id: productId } = await supergraph.createProduct(admin, { name: 'Streamed Lamp', stock: 100 });
    const stream = await new Promise<{ encoding: unknown; decoded: () => string; close: () => void }>(
      (resolve, reject) => {
        const sent = request(
          supergraph.routerUrl,
          {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              accept: 'text/event-stream',
              'accept-encoding': 'gzip',
              authorization: `Bearer ${ada}`,
            },
          },
          (res) => {
            const gunzip = createGunzip();
            res.pipe(gunzip);
            let text = '';
            gunzip.on('data', (chunk: Buffer) => {
              text += chunk.toString();
            });
            resolve({ encoding: res.headers['content-encoding'], decoded: () => text, close: () => sent.destroy() });
          },
        );
        sent.on('error', reject);
        sent.end(JSON.stringify({ query: 'subscription { orderUpdated { order { id status } } }' }));
      },
    );
    expect(stream.encoding).toBe('gzip');
    // The subscription starts following changes shortly after it opens: place orders until one comes through.
    let placed = '';
    for (let attempt = 0; attempt < 50 && !stream.decoded().includes(`"id":"${placed}"`); attempt++) {
      const answer = await supergraph.request<{ placeOrder: { id: string } }>(
        'mutation ($items: [OrderItemInput!]!) { placeOrder(input: { items: $items }) { id } }',
        { items: [{ productId, quantity: 1 }] },
        { token: ada },
      );
      placed = answer.body.data?.placeOrder.id as string;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(stream.decoded()).toContain(`"id":"${placed}"`);
    expect(stream.decoded()).toMatch(/event: next/);
    stream.close();
  });
});

describe('authorization directives', () => {
  it('leaves out @authenticated fields for an anonymous caller before any subgraph is asked, and serves the rest', async () => {
    const before = supergraph.subgraphRequests.orders as number;
    const response = await supergraph.request<{ categories: unknown[]; order: unknown }>(
      '{ categories { id } order(id: "1") { id number } }',
    );
    expect(response.status).toBe(200);
    expect(response.body.data?.categories.length).toBeGreaterThan(0);
    expect(response.body.data?.order).toBeNull();
    expect(response.body.errors).toEqual([
      expect.objectContaining({ path: ['order'], extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' } }),
    ]);
    expect(response.body.errors?.[0]?.message).toMatch(/Query\.order needs a signed-in caller/);
    expect(supergraph.subgraphRequests.orders).toBe(before);
  });

  it('leaves out @requiresScopes fields for a customer; an admin has them', async () => {
    const before = supergraph.subgraphRequests.products as number;
    const mutation = 'mutation { restockProduct(id: "none", quantity: 1) { id } }';
    const customer = await supergraph.request(mutation, {}, { token: ada });
    expect(customer.body.data).toBeNull();
    expect(customer.body.errors).toEqual([
      expect.objectContaining({ path: ['restockProduct'], extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' } }),
    ]);
    expect(customer.body.errors?.[0]?.message).toMatch(/needs the scopes admin/);
    expect(supergraph.subgraphRequests.products).toBe(before);
    const users = await supergraph.request('{ users(first: 1) { edges { node { id } } } }', {}, { token: admin });
    expect(users.body.errors).toBeUndefined();
    // The admin's mutation reaches the products subgraph, which answers for the malformed id itself.
    const adminAnswer = await supergraph.request(mutation, {}, { token: admin });
    expect(errorCodes(adminAnswer)).toEqual(['BAD_USER_INPUT']);
    expect(supergraph.subgraphRequests.products).toBe(before + 1);
  });

  it('refuses only what the operation asks for: a guarded field under @skip or a false @include is no error', async () => {
    const response = await supergraph.request<{ categories: unknown[] }>(
      'query ($mine: Boolean!) { categories { id } order(id: "1") @include(if: $mine) { id } orders @skip(if: true) { totalCount } }',
      { mine: false },
    );
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data?.categories.length).toBeGreaterThan(0);
    const asked = await supergraph.request('query ($mine: Boolean!) { order(id: "1") @include(if: $mine) { id } }', {
      mine: true,
    });
    expect(errorCodes(asked)).toEqual(['UNAUTHORIZED_FIELD_OR_TYPE']);
  });

  it('signed in, the viewer fields answer as before', async () => {
    const response = await supergraph.request<{ orders: { edges: unknown[] } }>(
      '{ orders(first: 1) { edges { node { id } } } }',
      {},
      { token: ada },
    );
    expect(response.body.errors).toBeUndefined();
    expect(Array.isArray(response.body.data?.orders.edges)).toBe(true);
  });
});

describe('demand control', () => {
  it('reports the estimated cost when asked, growing with the page size asked for', async () => {
    const costOf = async (first: number) => {
      const response = await fetch(supergraph.routerUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: 'query ($first: Int) { products(first: $first) { edges { node { id faqs { question } } } } }',
          variables: { first },
          extensions: { cost: true },
        }),
      });
      const body = (await response.json()) as { extensions?: { cost?: { estimated: number; max: number } } };
      return body.extensions?.cost;
    };
    // products 1 + edges × (edge 1 + node 1 + faqs 10 × 1)
    expect(await costOf(1)).toEqual({ estimated: 1 + 1 * (1 + 1 + 10), max: 25_000 });
    expect((await costOf(20))?.estimated).toBe(1 + 20 * 12);
    const plain = await supergraph.request('{ categories { id } }');
    expect(plain.body.extensions?.cost).toBeUndefined();
  });

  it('refuses an operation over the budget before any subgraph is asked', async () => {
    const router = await supergraph.startRouter({ MAX_COST: '100' });
    const before = { products: supergraph.subgraphRequests.products, faq: supergraph.subgraphRequests.faq };
    const response = await supergraph.request(
      '{ products(first: 100) { edges { node { id faqs { question product { name } } } } } }',
      {},
      { url: router.url },
    );
    expect(response.status).toBe(400);
    expect(errorCodes(response)).toEqual(['QUERY_TOO_COMPLEX']);
    expect(response.body.errors?.[0]?.message).toMatch(/estimated cost is \d+, over the limit of 100/);
    expect(supergraph.subgraphRequests).toMatchObject(before);
    await router.stop();
  });
});

describe('rate limiting', () => {
  it('answers 429 with Retry-After once a caller has used its burst; other callers go on', async () => {
    const router = await supergraph.startRouter({ RATE_LIMIT_PER_SECOND: '0.5', RATE_LIMIT_BURST: '2' });
    const ask = (token?: string) =>
      supergraph.request('{ categories { id } }', {}, { url: router.url, ...(token ? { token } : {}) });
    expect((await ask(ada)).status).toBe(200);
    expect((await ask(ada)).status).toBe(200);
    const refused = await ask(ada);
    expect(refused.status).toBe(429);
    expect(errorCodes(refused)).toEqual(['RATE_LIMITED']);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await ask(admin)).status).toBe(200);
    // Anonymous callers are counted by address.
    expect((await ask()).status).toBe(200);
    await router.stop();
  });

  it('shares each caller’s bucket between replicas through Redis', async () => {
    const shared = {
      RATE_LIMIT_PER_SECOND: '0.5',
      RATE_LIMIT_BURST: '2',
      REDIS_URL: TEST_REDIS_URL,
      RATE_LIMIT_PREFIX: `shop:test:rate:${process.pid}:${Date.now()}:`,
    };
    const [one, two] = await Promise.all([supergraph.startRouter(shared), supergraph.startRouter(shared)]);
    const ask = (url: string) => supergraph.request('{ categories { id } }', {}, { url, token: ada });
    await new Promise((resolve) => setTimeout(resolve, 300)); // both connected to Redis
    expect((await ask(one.url)).status).toBe(200);
    expect((await ask(two.url)).status).toBe(200);
    expect((await ask(one.url)).status).toBe(429);
    expect((await ask(two.url)).status).toBe(429);
    await Promise.all([one.stop(), two.stop()]);
    await deleteRedisKeys(shared.RATE_LIMIT_PREFIX);
  });
});

describe('header propagation and CORS', () => {
  it('passes the configured client headers to the configured subgraphs only', async () => {
    const products = await startGate(supergraph.subgraphUrls.products as string);
    const faq = await startGate(supergraph.subgraphUrls.faq as string);
    products.open();
    faq.open();
    const router = await supergraph.startRouter({
      PRODUCTS_URL: products.url,
      FAQ_URL: faq.url,
      PROPAGATE_HEADERS: 'x-client-name, products:x-locale',
    });
    const response = await supergraph.request(
      '{ products(first: 1) { edges { node { id faqs { id } } } } }',
      {},
      { url: router.url, headers: { 'x-locale': 'de-DE', 'x-client-name': 'storefront', 'x-secret': 'no' } },
    );
    expect(response.body.errors).toBeUndefined();
    expect(products.seen.at(-1)).toMatchObject({ 'x-locale': 'de-DE', 'x-client-name': 'storefront' });
    expect(faq.seen.at(-1)?.['x-client-name']).toBe('storefront');
    expect(faq.seen.at(-1)?.['x-locale']).toBeUndefined();
    for (const seen of [...products.seen, ...faq.seen]) expect(seen['x-secret']).toBeUndefined();
    await router.stop();
    await Promise.all([products.close(), faq.close()]);
  });

  it('refuses a setting that would copy a header the router sets itself', async () => {
    await expect(supergraph.startRouter({ PROPAGATE_HEADERS: 'authorization' })).rejects.toThrow(/set by the router/);
  });

  it('sends no CORS headers by default, and allows the listed origins only', async () => {
    const preflight = (url: string, origin: string) =>
      fetch(url, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
    const byDefault = await preflight(supergraph.routerUrl, 'https://shop.example');
    expect(byDefault.headers.get('access-control-allow-origin')).toBeNull();
    const router = await supergraph.startRouter({ CORS_ORIGINS: 'https://shop.example' });
    const allowed = await preflight(router.url, 'https://shop.example');
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    expect(allowed.headers.get('access-control-allow-methods')).toMatch(/POST/);
    const other = await preflight(router.url, 'https://evil.example');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const answer = await supergraph.request(
      '{ categories { id } }',
      {},
      {
        url: router.url,
        headers: { origin: 'https://shop.example' },
      },
    );
    expect(answer.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    await router.stop();
  });
});

describe('supergraph reload', () => {
  const served = readFileSync(path.join(REPOSITORY_ROOT, 'supergraph.graphql'), 'utf8');
  /** The supergraph with one more field on Category (served by products, which does not have it). */
  const withNewField = served.replace(/(type Category\n(?:.*\n)*?\{\n)/, '$1  slogan: String\n');
  const categoryFields = async (url: string) => {
    const response = await supergraph.request<{ __type: { fields: { name: string }[] } }>(
      '{ __type(name: "Category") { fields { name } } }',
      {},
      { url },
    );
    return response.body.data?.__type.fields.map((field) => field.name);
  };

  it('switches to a new supergraph, and refuses one that does not build or breaks a persisted operation', async () => {
    expect(withNewField).not.toBe(served);
    const router = await supergraph.startRouter();
    const ready = async () => (await (await fetch(new URL('/ready', router.url))).json()) as { schema: string };
    const first = (await ready()).schema;
    expect(await categoryFields(router.url)).not.toContain('slogan');

    expect(router.reload(withNewField).applied).toBe(true);
    expect(await categoryFields(router.url)).toContain('slogan');
    const second = (await ready()).schema;
    expect(second).not.toBe(first);
    expect(router.reload(withNewField).applied).toBe(false); // the same one again: nothing to do

    expect(router.reload('type Query { broken').applied).toBe(false);
    // Without Product.description, the storefront's persisted ProductPage no longer plans.
    const breaking = served.replace(/\n {2}description: String!? @join__field\(graph: PRODUCTS\)\n/, '\n');
    expect(breaking).not.toBe(served);
    expect(router.reload(breaking).applied).toBe(false);
    expect((await ready()).schema).toBe(second);
    expect(await categoryFields(router.url)).toContain('slogan');
    await router.stop();
  });

  it('a request in flight finishes on the supergraph it started with', async () => {
    const gate = await startGate(supergraph.subgraphUrls.products as string);
    const router = await supergraph.startRouter({ PRODUCTS_URL: gate.url });
    const inFlight = supergraph.request<{ categories: unknown[] }>(
      '{ categories { id name } }',
      {},
      { url: router.url },
    );
    while (gate.held() === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(router.reload(withNewField).applied).toBe(true);
    gate.open();
    const answer = await inFlight;
    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.data?.categories.length).toBeGreaterThan(0);
    await router.stop();
    await gate.close();
  });

  it('the router process reloads when its SUPERGRAPH_FILE changes, and on SIGHUP', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'shop-supergraph-'));
    const file = path.join(folder, 'supergraph.graphql');
    writeFileSync(file, served);
    const { router, url, exited } = await spawnRouter(file);
    const hash = async () => ((await (await fetch(new URL('/ready', url))).json()) as { schema: string }).schema;
    const waitFor = async (check: () => Promise<boolean>) => {
      for (let attempt = 0; attempt < 100 && !(await check()); attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return check();
    };
    try {
      const first = await hash();
      // Replaced as deployment tools do: a new file moved over the old one.
      writeFileSync(`${file}.new`, withNewField);
      renameSync(`${file}.new`, file);
      expect(await waitFor(async () => (await hash()) !== first)).toBe(true);
      expect(await categoryFields(url)).toContain('slogan');
      // A file that does not build: refused, the new one keeps serving.
      const second = await hash();
      writeFileSync(file, 'type Query { broken');
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await hash()).toBe(second);
      // Back to the first by SIGHUP alone (the file is written while the router does not watch: no event lost).
      writeFileSync(file, served);
      router.kill('SIGHUP');
      expect(await waitFor(async () => (await hash()) === first)).toBe(true);
    } finally {
      router.kill('SIGTERM');
      await exited;
    }
  });
});

/** The router as its own process (file watch and signals are main.ts's), on this supergraph file. */
async function spawnRouter(supergraphFile: string) {
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
        CACHE: 'off',
        ROUTER_PORT: String(port),
        ROUTER_METRICS_PORT: '0',
        SUPERGRAPH_FILE: supergraphFile,
        JWT_PUBLIC_KEY: supergraph.keys.publicPem,
        INTERNAL_API_TOKEN: supergraph.internalToken,
        USERS_URL: supergraph.subgraphUrls.users,
        PRODUCTS_URL: supergraph.subgraphUrls.products,
        ORDERS_URL: supergraph.subgraphUrls.orders,
        FAQ_URL: supergraph.subgraphUrls.faq,
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
