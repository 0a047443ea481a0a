import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { composeServices } from '@apollo/composition';
import { ApolloServer } from '@apollo/server';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { createLogger } from '@shop/platform';
import { type GraphQLSchema, graphql, parse } from 'graphql';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createFetchCache } from '../cache/fetch-cache.js';
import { memoryStore } from '../cache/store.js';
import { newPipeline, type RouterContext } from '../context.js';
import { createPlanExecutor } from '../executor/plan-executor.js';

/**
 * The executor on its own, in process: two tiny subgraphs (a catalogue and its reviews) composed into a
 * supergraph, each an HTTP server of a few lines that records what it was sent; Apollo Server in front of the
 * executor, as in the router. Each behaviour the router's answers rely on, one test each.
 */
const catalogue = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@inaccessible"])
  enum Colour { RED BLUE SECRET @inaccessible }
  interface Item { id: ID! }
  type Book implements Item @key(fields: "id") { id: ID! title: String! colour: Colour }
  type Pen implements Item @key(fields: "id") { id: ID! ink: String! }
  type Query { items: [Item!]! book(id: ID!): Book shelf: [Book!] }
  type Mutation { touch: Boolean }
`;
const reviews = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
  type Book @key(fields: "id") { id: ID! reviews: [Review!]! rating: Int! }
  type Review { stars: Int! author: String }
`;

const BOOKS: Record<string, { id: string; title: string; colour: string }> = {
  b1: { id: 'b1', title: 'One', colour: 'RED' },
  b2: { id: 'b2', title: 'Two', colour: 'SECRET' },
  b3: { id: 'b3', title: 'Three', colour: 'BLUE' },
  b4: { id: 'b4', title: 'Four', colour: 'BLUE' },
};

interface Served {
  /** Requests that arrived, answered or not. */
  attempts: number;
  bodies: { query: string; variables?: Record<string, unknown> }[];
  headers: http.IncomingHttpHeaders[];
  /** Drops every request's connection without an answer, as a process dying mid-request. */
  down: boolean;
}
const served: Record<'catalogue' | 'reviews', Served> = {
  catalogue: { attempts: 0, bodies: [], headers: [], down: false },
  reviews: { attempts: 0, bodies: [], headers: [], down: false },
};
let shelf: string[] = [];
/** Each subgraph's Cache-Control (reviews: none, so not cacheable, unless a test says otherwise). */
const cacheControlOf: Record<'catalogue' | 'reviews', string | null> = {
  catalogue: 'max-age=30, public',
  reviews: null,
};

const catalogueSchema = buildSubgraphSchema({
  typeDefs: parse(catalogue),
  resolvers: {
    Query: {
      items: () => [
        { __typename: 'Book', ...BOOKS.b1 },
        { __typename: 'Pen', id: 'p1', ink: 'black' },
      ],
      book: (_: unknown, { id }: { id: string }) => BOOKS[id] ?? null,
      shelf: () => shelf.map((id) => BOOKS[id]),
    },
    Mutation: { touch: () => true },
    Item: { __resolveType: (item: { __typename: string }) => item.__typename },
    Book: { __resolveReference: ({ id }: { id: string }) => BOOKS[id] },
  } as never,
});
const reviewsSchema = buildSubgraphSchema({
  typeDefs: parse(reviews),
  resolvers: {
    Book: {
      __resolveReference: async ({ id }: { id: string }) => {
        if (id === 'b2') throw new Error('reviews of b2 are unavailable');
        return id === 'b3' ? null : { id }; // b3: no reviews record, and no error
      },
      reviews: ({ id }: { id: string }) => [{ stars: id.length, author: null }],
      rating: ({ id }: { id: string }) => (id === 'b1' ? 5 : null),
    },
  } as never,
});

function subgraphServer(schema: GraphQLSchema, record: Served) {
  return http.createServer((request, response) => {
    let text = '';
    request.on('data', (chunk) => (text += chunk));
    request.on('end', async () => {
      record.attempts++;
      if (record.down) {
        request.socket.destroy();
        return;
      }
      const body = JSON.parse(text);
      record.bodies.push(body);
      record.headers.push(request.headers);
      const result = await graphql({ schema, source: body.query, variableValues: body.variables });
      response.setHeader('content-type', 'application/json');
      const header = cacheControlOf[record === served.catalogue ? 'catalogue' : 'reviews'];
      if (header) response.setHeader('cache-control', header);
      response.end(JSON.stringify(result));
    });
  });
}

const servers: http.Server[] = [];
let apollo: ApolloServer<RouterContext>;
/** The same executor with the fetch cache on. */
let cached: ApolloServer<RouterContext>;

beforeAll(async () => {
  const urls: Record<string, string> = {};
  for (const [name, schema] of [
    ['catalogue', catalogueSchema],
    ['reviews', reviewsSchema],
  ] as const) {
    const server = subgraphServer(schema, served[name]);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    urls[name] = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  }
  const composed = composeServices([
    { name: 'catalogue', url: urls.catalogue, typeDefs: parse(catalogue) },
    { name: 'reviews', url: urls.reviews, typeDefs: parse(reviews) },
  ]);
  if (!composed.supergraphSdl) throw new Error(String(composed.errors));
  const gateway = createPlanExecutor({
    supergraphSdl: composed.supergraphSdl,
    urls,
    policy: { timeoutMs: 2_000, retries: 1, shareIdenticalQueries: true, connections: 4 },
    onFetch: () => undefined,
  });
  apollo = new ApolloServer<RouterContext>({ gateway });
  await apollo.start();
  cached = new ApolloServer<RouterContext>({
    gateway: createPlanExecutor({
      supergraphSdl: composed.supergraphSdl,
      urls,
      policy: { timeoutMs: 2_000, retries: 0, shareIdenticalQueries: false, connections: 4 },
      onFetch: () => undefined,
      cache: createFetchCache({
        store: memoryStore(100),
        freshForSeconds: 0,
        staleIfErrorSeconds: 60,
        log: createLogger('test', 'silent'),
        onPart: () => undefined,
        follows: () => true,
      }),
    }),
  });
  await cached.start();
});
afterAll(async () => {
  await cached?.stop();
  await apollo?.stop(); // stops the executor too
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});
beforeEach(() => {
  for (const record of Object.values(served))
    Object.assign(record, { attempts: 0, bodies: [], headers: [], down: false });
  shelf = ['b1', 'b4', 'b1'];
  cacheControlOf.reviews = null;
});

/** The Cache-Control of the last answer, as Apollo Server sets it from the subgraphs' hints. */
let cacheControl: string | undefined;

async function run(query: string, variables: Record<string, unknown> = {}, authorization?: string, server = apollo) {
  const context: RouterContext = { requestId: 'r-1', viewer: null, authorization, pipeline: newPipeline() };
  const response = await server.executeOperation({ query, variables }, { contextValue: context });
  if (response.body.kind !== 'single') throw new Error('expected a single answer');
  cacheControl = response.http.headers.get('cache-control');
  return JSON.parse(JSON.stringify(response.body.singleResult)) as {
    data?: Record<string, unknown> | null;
    errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
    extensions?: Record<string, unknown>;
  };
}

describe('the plan executor', () => {
  it('answers across subgraphs in the order of the operation, with aliases, fragments and __typename', async () => {
    const answer = await run(`{
      __typename
      items { __typename ... on Book { title } ...PenInk }
      first: book(id: "b1") { rating title id }
    }
    fragment PenInk on Pen { kind: __typename ink }`);
    expect(answer).toEqual({
      data: {
        __typename: 'Query',
        items: [
          { __typename: 'Book', title: 'One' },
          { __typename: 'Pen', kind: 'Pen', ink: 'black' },
        ],
        first: { rating: 5, title: 'One', id: 'b1' },
      },
    });
  });

  it('sends each distinct entity once and fans the answers back out in order', async () => {
    const answer = await run('{ shelf { id reviews { stars } } }');
    expect(answer.data).toEqual({
      shelf: [
        { id: 'b1', reviews: [{ stars: 2 }] },
        { id: 'b4', reviews: [{ stars: 2 }] },
        { id: 'b1', reviews: [{ stars: 2 }] },
      ],
    });
    const sent = served.reviews.bodies[0]?.variables?.representations;
    expect(sent).toEqual([
      { __typename: 'Book', id: 'b1' },
      { __typename: 'Book', id: 'b4' },
    ]);
  });

  it('applies @skip and @include from variables and literals', async () => {
    const query = `query ($withTitle: Boolean!) {
      book(id: "b1") { id title @include(if: $withTitle) rating @skip(if: true) }
    }`;
    expect((await run(query, { withTitle: false })).data).toEqual({ book: { id: 'b1' } });
    expect((await run(query, { withTitle: true })).data).toEqual({ book: { id: 'b1', title: 'One' } });
    expect(served.reviews.bodies).toHaveLength(0); // a skipped field is not fetched
  });

  it("runs a plan's conditions on a variable left out with the variable's default", async () => {
    const query = 'query ($rated: Boolean = true) { book(id: "b1") { id rating @include(if: $rated) } }';
    expect((await run(query)).data).toEqual({ book: { id: 'b1', rating: 5 } });
    expect((await run(query, { rated: false })).data).toEqual({ book: { id: 'b1' } });
  });

  it('gives an error of an entity the path of every entity it was sent for', async () => {
    shelf = ['b2', 'b1', 'b2'];
    const answer = await run('{ shelf { id reviews { stars } } }');
    expect(answer.data).toEqual({ shelf: null });
    expect(answer.errors?.map((error) => [error.path, error.extensions?.serviceName])).toEqual([
      [['shelf', 0], 'reviews'],
      [['shelf', 2], 'reviews'],
    ]);
    expect(answer.errors?.[0]?.extensions?.code).toBe('DOWNSTREAM_SERVICE_ERROR');
  });

  it('reports values it could not complete: nulls in non-null fields, enum values the API hides', async () => {
    const hidden = await run('{ book(id: "b2") { colour } }');
    expect(hidden.data).toEqual({ book: { colour: null } });
    expect(hidden.extensions?.valueCompletion).toEqual([
      { message: 'Invalid value found for field Book.colour.', path: ['book', 'colour'] },
    ]);
    const missing = await run('{ book(id: "b3") { id rating } }');
    expect(missing.data).toEqual({ book: null });
    expect(missing.extensions?.valueCompletion).toEqual([
      { message: 'Cannot return null for non-nullable field Book.rating.', path: ['book', 'rating'] },
    ]);
  });

  it('answers the rest when a subgraph is down, with SERVICE_UNAVAILABLE for its part, after a retry', async () => {
    served.reviews.down = true;
    const answer = await run('{ shelf { title reviews { stars } } }');
    expect(answer.data).toEqual({ shelf: null });
    expect(answer.errors?.[0]?.extensions).toEqual({ code: 'SERVICE_UNAVAILABLE', serviceName: 'reviews' });
    expect(answer.errors?.[0]?.message).toBe('the reviews service failed to answer');
    expect(served.reviews.attempts).toBe(2);
  });

  it('never retries a mutation, and says it may still take effect', async () => {
    served.catalogue.down = true;
    const answer = await run('mutation { touch }');
    expect(answer.data).toEqual({ touch: null });
    expect(answer.errors?.[0]?.message).toMatch(/failed to answer; the change may still take effect/);
    expect(served.catalogue.attempts).toBe(1);
  });

  it('shares an identical query in flight, and each caller gets its own answer', async () => {
    const [first, second] = await Promise.all([run('{ shelf { id } }'), run('{ shelf { id } }')]);
    expect(first).toEqual(second);
    expect(served.catalogue.attempts).toBe(1);
  });

  it('forwards the token and request id, and answers introspection itself', async () => {
    const answer = await run(
      '{ __type(name: "Colour") { enumValues { name } } book(id: "b1") { id } }',
      {},
      'Bearer t',
    );
    expect(answer.data).toEqual({
      __type: { enumValues: [{ name: 'RED' }, { name: 'BLUE' }] },
      book: { id: 'b1' },
    });
    expect(served.catalogue.headers[0]?.authorization).toBe('Bearer t');
    expect(served.catalogue.headers[0]?.['x-request-id']).toBe('r-1');
  });

  it("limits the answer's cache policy by each subgraph's Cache-Control (none: not cacheable)", async () => {
    await run('{ book(id: "b1") { id } }');
    expect(cacheControl).toBe('max-age=30, public');
    await run('{ book(id: "b1") { id rating } }');
    expect(cacheControl).toBe('no-store');
  });

  it('refuses variables that do not fit before any fetch', async () => {
    const answer = await run('query ($id: ID!) { book(id: $id) { id } }', { id: { not: 'an id' } });
    expect(answer.errors?.[0]?.message).toMatch(/Variable "\$id"/);
    expect(served.catalogue.bodies).toHaveLength(0);
  });
});

describe('the plan executor with the fetch cache', () => {
  const runCached = (query: string) => run(query, {}, undefined, cached);

  it('serves an entity cached by one query to another, sending only the entities it lacks', async () => {
    cacheControlOf.reviews = 'max-age=30, public';
    expect((await runCached('{ book(id: "b1") { reviews { stars } } }')).data).toEqual({
      book: { reviews: [{ stars: 2 }] },
    });
    const answer = await runCached('{ shelf { id reviews { stars } } }');
    expect(answer.data).toEqual({
      shelf: [
        { id: 'b1', reviews: [{ stars: 2 }] },
        { id: 'b4', reviews: [{ stars: 2 }] },
        { id: 'b1', reviews: [{ stars: 2 }] },
      ],
    });
    expect(served.reviews.bodies.map((body) => body.variables?.representations)).toEqual([
      [{ __typename: 'Book', id: 'b1' }],
      [{ __typename: 'Book', id: 'b4' }],
    ]);
    await runCached('{ shelf { id reviews { stars } } }');
    expect(served.reviews.bodies).toHaveLength(2); // every part cached now
  });

  it('keeps neither an entity that failed nor an answer its subgraph says is not cacheable', async () => {
    cacheControlOf.reviews = 'max-age=30, public';
    await runCached('{ book(id: "b2") { reviews { stars } } }');
    await runCached('{ book(id: "b2") { reviews { stars } } }');
    expect(served.reviews.bodies).toHaveLength(2);
    cacheControlOf.reviews = null;
    await runCached('{ book(id: "b4") { rating } }');
    await runCached('{ book(id: "b4") { rating } }');
    expect(served.reviews.bodies).toHaveLength(4);
  });

  it('serves a public part past its max-age while its subgraph is unreachable, saying where and how old', async () => {
    cacheControlOf.reviews = 'max-age=1, public';
    // Selections no other test uses: parts of their own in the cache.
    const query = '{ book(id: "b3") { title } b4: book(id: "b4") { id reviews { stars author } } }';
    const fresh = await runCached(query);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    served.reviews.down = true;
    const answer = await runCached(query);
    expect(answer.data).toEqual(fresh.data);
    expect(answer.errors).toBeUndefined();
    expect(answer.extensions?.stale).toEqual([{ path: ['b4'], ageSeconds: 1 }]);
    expect(cacheControl).toBe('no-store');
    // Nothing cached for b1's reviews: the outage shows.
    const uncached = await runCached('{ book(id: "b1") { reviews { stars author } } }');
    expect(uncached.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
  });
});
