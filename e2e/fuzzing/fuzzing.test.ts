import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSubgraphSchema } from '@apollo/subgraph';
import fc from 'fast-check';
import { buildSchema, type GraphQLSchema, parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSubgraphs, REPOSITORY_ROOT } from '../../scripts/subgraphs.js';
import { type GraphQLResponse, type Supergraph, startSupergraph } from '../harness/supergraph.js';
import { type FuzzTarget, fuzzTargets, HOSTILE_STRINGS, type KnownValues } from './operations-from-schema.js';

/**
 * Every query and mutation field of the API schema, every argument (nested input fields and nested fields'
 * arguments included), fed hostile and awkward values through the router, as each kind of caller. A new field
 * is fuzzed without touching this file. Whatever goes in, every answer must be a clean GraphQL answer.
 *
 * The same straight to each subgraph, on its own schema, internal fields included.
 *
 * Replay a failure with the seed it prints: FUZZ_SEED=<seed> npx vitest run fuzzing (from e2e/).
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261130);
const RUNS_PER_FIELD = Number(process.env.FUZZ_RUNS ?? 40);

const apiSchema = buildSchema(readFileSync(path.join(REPOSITORY_ROOT, 'schema/api.graphql'), 'utf8'));

/** What no message may show a client, even in development: ORM, SQL, database, file paths, stack frames. */
const INTERNALS =
  /prisma|invocation|pglite|postgres|\bSQL\b|SELECT\s|INSERT INTO|UPDATE\s+"|DELETE FROM|syntax for type|violates|relation "|column "|node_modules|\.(?:ts|js|mjs|cjs):\d|\bat \S+ \(|ECONN|TypeError|ReferenceError|Cannot read prop|undefined is not|is not a function/i;

let supergraph: Supergraph;
let routerUrl: string;
const tokens: Record<'anonymous' | 'customer' | 'admin', string | undefined> = {
  anonymous: undefined,
  customer: undefined,
  admin: undefined,
};
const known: KnownValues = { ids: [], strings: [], cursors: [] };
/** How the fuzzed requests were answered (data, or each error code): printed at the end, to show the reach. */
const outcomes = new Map<string, number>();

beforeAll(async () => {
  // Development mode everywhere: the mode in which messages may carry detail, so internals would show here.
  supergraph = await startSupergraph({ env: { NODE_ENV: 'development' } });
  routerUrl = (await supergraph.startRouter({ NODE_ENV: 'development' })).url;
  tokens.admin = await supergraph.logInAs('admin');
  await collectKnownValues();
});
afterAll(async () => {
  const tally = [...outcomes].sort((a, b) => b[1] - a[1]).map(([outcome, count]) => `${outcome} ${count}`);
  console.info(`fuzzed answers: ${tally.join(', ')}`);
  await supergraph?.close();
});

async function data<T>(document: string, variables: Record<string, unknown> = {}, token?: string): Promise<T> {
  const response = await supergraph.request(document, variables, { url: routerUrl, ...(token ? { token } : {}) });
  if (!response.body.data || response.body.errors) throw new Error(JSON.stringify(response.body.errors));
  return response.body.data as T;
}

type Edges<Node = { id: string }> = { edges: { cursor: string; node: Node }[] };

/** Real ids, strings and cursors of every list and ordering, plus cursors forged from them. */
async function collectKnownValues() {
  const signUp = await data<{ signUp: { token: string; user: { id: string } } }>(
    'mutation ($input: SignUpInput!) { signUp(input: $input) { token user { id } } }',
    { input: { email: `fuzz-${process.pid}@shop.test`, name: 'Fuzz Customer', password: 'fuzzing-password-1' } },
  );
  tokens.customer = signUp.signUp.token;
  known.ids.push(signUp.signUp.user.id);

  for (const orderBy of ['NEWEST', 'NAME_ASC', 'PRICE_ASC', 'PRICE_DESC']) {
    const { products } = await data<{ products: Edges<{ id: string; sku: string }> }>(
      'query ($orderBy: ProductOrderBy) { products(first: 3, orderBy: $orderBy) { edges { cursor node { id sku } } } }',
      { orderBy },
    );
    for (const { cursor, node } of products.edges) {
      known.cursors.push(cursor);
      known.ids.push(node.id);
      known.strings.push(node.sku);
    }
  }
  const { categories } = await data<{ categories: { id: string; slug: string; products: Edges }[] }>(
    '{ categories { id slug products(first: 2) { edges { cursor node { id } } } } }',
  );
  for (const category of categories) {
    known.ids.push(category.id);
    known.strings.push(category.slug);
    known.cursors.push(...category.products.edges.map((edge) => edge.cursor));
  }
  const productId = known.ids[1] as string;
  const placed = await data<{ placeOrder: { id: string } }>(
    'mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }',
    { input: { items: [{ productId, quantity: 1 }] } },
    tokens.customer,
  );
  known.ids.push(placed.placeOrder.id);
  const admin = await data<{ orders: Edges; users: Edges; me: { orders: Edges } }>(
    '{ orders(first: 2) { edges { cursor node { id } } } users(first: 2) { edges { cursor node { id } } } me { orders(first: 1) { edges { cursor node { id } } } } }',
    {},
    tokens.admin,
  );
  const { faqs } = await data<{ faqs: Edges<{ id: string; topic: string }> }>(
    '{ faqs(first: 3) { edges { cursor node { id topic } } } }',
  );
  for (const list of [admin.orders, admin.users, admin.me.orders, faqs]) {
    known.cursors.push(...list.edges.map((edge) => edge.cursor));
    known.ids.push(...list.edges.map((edge) => edge.node.id));
  }
  known.strings.push(...faqs.edges.map((edge) => edge.node.topic), 'ada@shop.test', 'shop-customer-dev');
  known.cursors.push(...known.cursors.slice(0, 6).flatMap(forgedFrom), ...HOSTILE_STRINGS.slice(0, 4));
}

/** Cursors a client could make from a real one: cut, extended, re-encoded with other contents. */
function forgedFrom(cursor: string): string[] {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return [
    cursor.slice(0, -2),
    `${cursor}A`,
    `${cursor}.`,
    cursor.toUpperCase(),
    encode(['n', 1, 'nope']),
    encode(['s', 'x', '6f1c2a4e-9b3d-4c5e-8f7a-1b2c3d4e5f60']),
    encode(['d', 'not a date', 'nope']),
    encode({ value: 1 }),
    encode([]),
    Buffer.from('garbage').toString('base64url'),
  ];
}

/** The properties every answer must have, whatever was sent. */
function expectClean(response: GraphQLResponse) {
  expect(response.status, 'HTTP status').toBeLessThan(500);
  expect(response.body.data !== undefined || response.body.errors !== undefined, 'a GraphQL answer').toBe(true);
  for (const error of response.body.errors ?? []) {
    expect(error.extensions?.code, `a stable code on "${error.message}"`).toEqual(expect.any(String));
    expect(error.extensions?.code, `an expected error: "${error.message}"`).not.toBe('INTERNAL_SERVER_ERROR');
    expect(error.message, 'no internals in the message').not.toMatch(INTERNALS);
    expect(error.extensions?.stacktrace, `no stack trace on "${error.message}"`).toBeUndefined();
  }
}

/** A normal request touching all four services still answers after everything the fuzzer sent. */
async function expectStillServing() {
  const response = await supergraph.request(
    '{ products(first: 2) { edges { node { id name faqs { question } } } } me { id orders(first: 1) { totalCount } } }',
    {},
    { url: routerUrl, ...credentials('customer') },
  );
  expect(response.body.errors).toBeUndefined();
  expect(response.body.data?.products).toBeTruthy();
}

type Caller = keyof typeof tokens | 'internal';

/** The headers each kind of caller sends; `internal` is another service of the supergraph (subgraphs only). */
const credentials = (caller: Caller) =>
  caller === 'internal'
    ? { headers: { 'x-internal-token': supergraph.internalToken } }
    : { ...(tokens[caller] ? { token: tokens[caller] } : {}) };

async function fuzz(target: FuzzTarget, url: string, callers: Caller[], numRuns: number) {
  await fc.assert(
    fc.asyncProperty(target.variables, fc.constantFrom(...callers), async (variables, caller) => {
      const response = await supergraph.request(target.document, variables, { url, ...credentials(caller) });
      const outcome = String(response.body.errors?.[0]?.extensions?.code ?? 'data');
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      try {
        expectClean(response);
      } catch (failure) {
        throw new Error(
          `${(failure as Error).message}\nas ${caller} to ${url}: ${target.document}\nvariables: ${JSON.stringify(variables)}\nanswer: HTTP ${response.status} ${JSON.stringify(response.body).slice(0, 2000)}`,
        );
      }
    }),
    { seed: SEED, numRuns },
  );
  await expectStillServing();
}

/** The fields and their count, for the test titles; each test builds its target again once values are known. */
const PLACEHOLDERS: KnownValues = { ids: ['-'], strings: ['-'], cursors: ['-'] };
const namesOf = (schema: GraphQLSchema) => fuzzTargets(schema, PLACEHOLDERS).map((target) => target.name);
const coverageOf = (schema: GraphQLSchema) => {
  const targets = fuzzTargets(schema, PLACEHOLDERS);
  const inputs = targets.reduce((sum, target) => sum + target.argumentCount, 0);
  return `${targets.length} fields, ${inputs} arguments and input fields`;
};
const targetIn = (schema: GraphQLSchema, name: string) => {
  const target = fuzzTargets(schema, known).find((candidate) => candidate.name === name);
  if (!target) throw new Error(`no field ${name}`);
  return target;
};
describe(`every field of the API, fuzzed through the router (${coverageOf(apiSchema)}, seed ${SEED})`, () => {
  it.each(namesOf(apiSchema))('%s answers every input cleanly', (name) =>
    fuzz(targetIn(apiSchema, name), routerUrl, ['anonymous', 'customer', 'admin'], RUNS_PER_FIELD),
  );
});

/**
 * Straight to each subgraph, on its own schema: the internal fields the router hides (reserveStock,
 * closedAccounts, …) too, as another service would call them. Federation's own fields are the router's.
 */
const subgraphSchemas = (await loadSubgraphs()).map((manifest) => ({
  service: manifest.name,
  schema: buildSubgraphSchema({ typeDefs: parse(readFileSync(manifest.schemaFile, 'utf8')) }),
}));

for (const { service, schema } of subgraphSchemas) {
  describe(`every field of the ${service} subgraph, fuzzed straight to it (${coverageOf(schema)})`, () => {
    it.each(namesOf(schema))('%s answers every input cleanly', (name) =>
      fuzz(
        targetIn(schema, name),
        supergraph.subgraphUrls[service] as string,
        ['anonymous', 'customer', 'admin', 'internal'],
        Math.ceil(RUNS_PER_FIELD / 2),
      ),
    );
  });
}
