import { readFileSync } from 'node:fs';
import path from 'node:path';
import { variablesOf } from '@shop/platform';
import { databaseKind } from '@shop/subgraph-runtime/testing';
import fc from 'fast-check';
import { buildSchema } from 'graphql';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { REPOSITORY_ROOT } from '../../scripts/subgraphs.js';
import { type KnownValues, knownValues, randomOperation } from '../executor/random-operations.js';
import { startGate } from '../harness/gate.js';
import { allPayloads, mergePayloads, type Payload, payloadsOf, postIncremental } from '../harness/incremental.js';
import { type Supergraph, startSupergraph } from '../harness/supergraph.js';

/**
 * `@defer` through the router (incremental delivery, deferSpec=20220824): merged, the payloads are the answer
 * the same operation gets without `@defer`; the first payload leaves before a deferred part's fetches are done;
 * a deferred part's errors come in its own payload; persisted operations and the safelist defer alike.
 *
 * Replay a failure with the seed and path it prints: DEFER_SEED=<seed> DEFER_PATH=<path> npx vitest run defer (from e2e/).
 */
const SEED = Number(process.env.DEFER_SEED ?? 20261205);
const RUNS = Number(process.env.DEFER_RUNS ?? 150);

const apiSchema = buildSchema(readFileSync(path.join(REPOSITORY_ROOT, 'schema/api.graphql'), 'utf8'));
const PRODUCT_WITH_DEFERRED_FAQS = `query ($id: ID!) { product(id: $id) { id name ... @defer(label: "faqs") { faqs { question } } } }`;

let supergraph: Supergraph;
let url: string;
let productId: string;
const tokens: (string | undefined)[] = [undefined];
const known: KnownValues = { ids: [], strings: [] };

beforeAll(async () => {
  supergraph = await startSupergraph();
  // Random operations with their `@defer`s may hold more directives than the default limit, which is not what is tested.
  url = (await supergraph.startRouter({ CACHE: 'off', MAX_DIRECTIVES: '200' })).url;
  const admin = await supergraph.logInAs('admin');
  tokens.push(admin, await supergraph.logInAs('ada'));
  Object.assign(known, await knownValues(supergraph, admin));
  productId = (await supergraph.createProduct(admin, { name: 'Deferred Lamp', stock: 5 })).id;
  const faq = await supergraph.request(
    'mutation ($input: CreateFaqInput!) { createFaq(input: $input) { id } }',
    { input: { productId, question: 'Is it bright?', answer: 'Very.', topic: 'product' } },
    { token: admin },
  );
  expect(faq.body.errors).toBeUndefined();
});
afterAll(async () => {
  await supergraph?.close();
});

const codes = (errors: { extensions?: Record<string, unknown> }[] | undefined) =>
  [...new Set((errors ?? []).map((error) => String(error.extensions?.code)))].sort();

describe(`@defer on ${databaseKind}`, () => {
  it(`merged payloads equal the answer without @defer, on ${RUNS} random operations (seed ${SEED})`, async () => {
    let deferredAnswers = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.nat(tokens.length - 1), async (seed, who) => {
        const token = tokens[who];
        const plain = randomOperation(apiSchema, known, seed, { defer: false });
        const deferring = randomOperation(apiSchema, known, seed, { defer: true });
        const [whole, payloads, wholeDeferring] = await Promise.all([
          supergraph.request(plain.document, plain.variables, { url, ...(token ? { token } : {}) }),
          postIncremental(url, { query: deferring.document, variables: deferring.variables }, { token }).then(
            allPayloads,
          ),
          // A client that takes no multipart answer gets the whole answer at once.
          supergraph.request(deferring.document, deferring.variables, { url, ...(token ? { token } : {}) }),
        ]);
        const merged = mergePayloads(payloads);
        if (!whole.body.errors) expect(merged.data, deferring.document).toEqual(whole.body.data);
        // A null for an error stops at the deferred fragment it is in (the incremental delivery rule), where the
        // whole answer's null goes on up: the merged data agrees wherever the whole answer has a value.
        else expect(agreesWherever(whole.body.data, merged.data), deferring.document).toBe(true);
        expect(wholeDeferring.body.data, deferring.document).toEqual(whole.body.data);
        expect(codes(merged.errors), deferring.document).toEqual(codes(whole.body.errors));
        expect(codes(wholeDeferring.body.errors), deferring.document).toEqual(codes(whole.body.errors));
        if (payloads.length > 1) {
          deferredAnswers++;
          expect(payloads.map((payload) => payload.hasNext)).toEqual([...payloads.slice(1).map(() => true), false]);
          for (const later of payloads.slice(1)) expect(later.data).toBeUndefined();
        }
      }),
      { seed: SEED, numRuns: RUNS, ...(process.env.DEFER_PATH ? { path: process.env.DEFER_PATH } : {}) },
    );
    console.info(`defer equivalence: ${deferredAnswers} of ${RUNS} operations answered incrementally`);
    expect(deferredAnswers).toBeGreaterThan(RUNS / 4);
  });

  it("sends the first payload before a deferred part's fetches are answered", async () => {
    const gate = await startGate(supergraph.subgraphUrls.faq as string);
    try {
      const gated = (await supergraph.startRouter({ CACHE: 'off', [variablesOf('faq').url]: gate.url })).url;
      const response = await postIncremental(gated, {
        query: PRODUCT_WITH_DEFERRED_FAQS,
        variables: { id: productId },
      });
      expect(response.headers.get('content-type')).toBe('multipart/mixed;boundary="graphql";deferSpec=20220824');
      const payloads = payloadsOf(response);
      const first = (await payloads.next()).value as Payload;
      // The first payload came while the FAQ service's request is held at the gate, unanswered.
      await vi.waitFor(() => expect(gate.held()).toBe(1));
      expect(first).toEqual({ data: { product: { id: productId, name: 'Deferred Lamp' } }, hasNext: true });
      gate.open();
      const rest: Payload[] = [];
      for await (const payload of payloads) rest.push(payload);
      expect(rest).toEqual([
        {
          incremental: [{ data: { faqs: [{ question: 'Is it bright?' }] }, path: ['product'], label: 'faqs' }],
          hasNext: false,
        },
      ]);
    } finally {
      await gate.close();
    }
  });

  it("puts a deferred part's errors in its own payload; the first is whole", async () => {
    await supergraph.stopSubgraph('faq');
    try {
      const payloads = await allPayloads(
        await postIncremental(url, { query: PRODUCT_WITH_DEFERRED_FAQS, variables: { id: productId } }),
      );
      expect(payloads[0]).toEqual({ data: { product: { id: productId, name: 'Deferred Lamp' } }, hasNext: true });
      const entry = payloads[1]?.incremental?.[0];
      expect(entry?.path).toEqual(['product']);
      expect(entry?.data).toEqual({ faqs: null });
      expect(entry?.errors?.map((error) => [error.extensions?.code, error.extensions?.serviceName])).toEqual([
        ['SERVICE_UNAVAILABLE', 'faq'],
      ]);
      expect(payloads[1]?.hasNext).toBe(false);
    } finally {
      await supergraph.restartSubgraph('faq');
    }
  });

  it('defers in a persisted operation, also with the safelist on', async () => {
    const manifest = JSON.parse(readFileSync(path.join(REPOSITORY_ROOT, 'operations/manifest.json'), 'utf8')) as Record<
      string,
      string
    >;
    const [hash] = Object.entries(manifest).find(([, text]) => text.includes('query ProductPage(')) ?? [];
    expect(hash).toBeDefined();
    const safelisted = (await supergraph.startRouter({ CACHE: 'off', PERSISTED_OPERATIONS: 'safelist' })).url;
    const sku = (
      await supergraph.request<{ product: { sku: string } }>('query ($id: ID!) { product(id: $id) { sku } }', {
        id: productId,
      })
    ).body.data?.product.sku;
    const body = { variables: { sku }, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } };
    const payloads = await allPayloads(await postIncremental(safelisted, body));
    expect(payloads.length).toBeGreaterThan(1);
    expect(payloads[0]?.data).toMatchObject({ product: { name: 'Deferred Lamp' } });
    expect(JSON.stringify(payloads[0]?.data)).not.toContain('faqs');
    expect(mergePayloads(payloads).data).toMatchObject({ product: { faqs: [{ question: 'Is it bright?' }] } });
  });
});

/** Whether `other` has every value `whole` has (where `whole` has null, `other` may have more). */
function agreesWherever(whole: unknown, other: unknown): boolean {
  if (whole === null || whole === undefined) return true;
  if (Array.isArray(whole)) {
    return (
      Array.isArray(other) &&
      whole.length === other.length &&
      whole.every((value, i) => agreesWherever(value, other[i]))
    );
  }
  if (typeof whole === 'object') {
    if (typeof other !== 'object' || other === null) return false;
    return Object.entries(whole).every(([key, value]) =>
      agreesWherever(value, (other as Record<string, unknown>)[key]),
    );
  }
  return whole === other;
}
