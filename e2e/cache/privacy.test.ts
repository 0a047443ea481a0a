import { readFileSync } from 'node:fs';
import path from 'node:path';
import { databaseKind } from '@shop/subgraph-runtime/testing';
import fc from 'fast-check';
import { buildSchema } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPOSITORY_ROOT } from '../../scripts/subgraphs.js';
import { type KnownValues, randomOperation } from '../executor/random-operations.js';
import { type Supergraph, startSupergraph } from '../harness/supergraph.js';

/**
 * Private data never crosses users through the cache: random operations (half drawn from the whole API schema,
 * half about accounts and orders) are sent by every kind of caller in a random order to a cached router, twice
 * (the second time from the cache), and to a router with the cache off. Every answer must be the one the
 * uncached router gives that caller.
 *
 * Replay a failure with the seed it prints: CACHE_PRIVACY_SEED=<seed> npx vitest run cache/privacy (from e2e/).
 */
const SEED = Number(process.env.CACHE_PRIVACY_SEED ?? 20261205);
const RUNS = Number(process.env.CACHE_PRIVACY_RUNS ?? 60);

const apiSchema = buildSchema(readFileSync(path.join(REPOSITORY_ROOT, 'schema/api.graphql'), 'utf8'));

let supergraph: Supergraph;
let cached: string;
let uncached: string;
const callers: { name: string; token?: string }[] = [{ name: 'anonymous' }];
const known: KnownValues = { ids: [], strings: [] };
let orderIds: string[] = [];
let userIds: string[] = [];

beforeAll(async () => {
  supergraph = await startSupergraph();
  cached = (await supergraph.startRouter({ CACHE: 'on', SUBGRAPH_DEDUPLICATION: 'false' })).url;
  uncached = (await supergraph.startRouter({ CACHE: 'off', SUBGRAPH_DEDUPLICATION: 'false' })).url;
  for (const who of ['admin', 'ada', 'linus'] as const)
    callers.push({ name: who, token: await supergraph.logInAs(who) });
  const admin = callers[1]?.token;
  const { body } = await supergraph.request<{
    orders: { edges: { node: { id: string; user: { id: string; email: string } } }[] };
    users: { edges: { node: { id: string } }[] };
    products: { edges: { node: { id: string } }[] };
  }>(
    '{ orders(first: 20) { edges { node { id user { id email } } } } users(first: 10) { edges { node { id } } } products(first: 3) { edges { node { id } } } }',
    {},
    { token: admin },
  );
  if (!body.data) throw new Error(JSON.stringify(body.errors));
  orderIds = body.data.orders.edges.map(({ node }) => node.id);
  userIds = body.data.users.edges.map(({ node }) => node.id);
  known.ids.push(...orderIds, ...userIds, ...body.data.products.edges.map(({ node }) => node.id));
  known.strings.push(...body.data.orders.edges.map(({ node }) => node.user.email), '');
});
afterAll(async () => {
  await supergraph?.close();
});

/** Operations about accounts and orders: what a cache could leak. */
const PRIVATE_OPERATIONS = [
  () => ({ document: '{ me { id name email orders(first: 5) { edges { node { id status } } } } }', variables: {} }),
  () => ({ document: '{ orders(first: 10) { totalCount edges { node { id user { id name } } } } }', variables: {} }),
  (pick: <T>(items: T[]) => T) => ({
    document: 'query ($id: ID!) { order(id: $id) { id status total { amount } user { name } } }',
    variables: { id: pick(orderIds) },
  }),
  (pick: <T>(items: T[]) => T) => ({
    document: 'query ($id: ID!) { user(id: $id) { id name email orders(first: 3) { edges { node { id } } } } }',
    variables: { id: pick(userIds) },
  }),
  () => ({ document: '{ users(first: 5) { edges { node { id name } } } }', variables: {} }),
];

describe(`the cache on ${databaseKind}`, () => {
  it(`never serves one caller's private data to another (${RUNS} random operations, seed ${SEED})`, async () => {
    let answeredWithData = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.nat(PRIVATE_OPERATIONS.length - 1),
        fc.boolean(),
        fc.shuffledSubarray(callers, { minLength: callers.length }),
        async (seed, template, fromSchema, order) => {
          const pick = <T>(items: T[]): T => items[seed % items.length] as T;
          const { document, variables } = fromSchema
            ? randomOperation(apiSchema, known, seed)
            : (PRIVATE_OPERATIONS[template] as (pick: <T>(items: T[]) => T) => { document: string; variables: object })(
                pick,
              );
          for (const caller of [...order, ...order]) {
            const options = caller.token ? { token: caller.token } : {};
            const truth = await supergraph.request(document, { ...variables }, { url: uncached, ...options });
            const answer = await supergraph.request(document, { ...variables }, { url: cached, ...options });
            expect({ caller: caller.name, body: answer.body }, document).toEqual({
              caller: caller.name,
              body: truth.body,
            });
            if (answer.body.data && !answer.body.errors) answeredWithData++;
          }
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
    // The operations reach past validation and authorization.
    expect(answeredWithData).toBeGreaterThan(RUNS);
  });
});
