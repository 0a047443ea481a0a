import { readFileSync } from 'node:fs';
import { ROUTER_SUPPORTED_SUPERGRAPH_FEATURES, Supergraph } from '@apollo/federation-internals';
import { type GraphQLSchema, getOperationAST, parse, print } from 'graphql';
import pino from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { costRulesOf, estimateCost } from '../demand-control.js';
import { guardedSites, requirementsOf, satisfies, withoutCoordinates } from '../executor/authorization.js';
import { forApolloGateway } from '../gateway.js';
import { headersForSubgraph, parseHeaderPropagation, propagatedFrom } from '../header-propagation.js';
import { createRateLimiter } from '../rate-limit.js';

/**
 * The parts of the router's platform features that need no running supergraph: what the authorization
 * directives guard and where, the cost estimate, header propagation's setting, the token bucket.
 * e2e/router-features runs each through the real router.
 */
const supergraphSdl = readFileSync(new URL('../../../supergraph.graphql', import.meta.url), 'utf8');
let supergraph: Supergraph;
let schema: GraphQLSchema;

beforeAll(() => {
  supergraph = Supergraph.build(supergraphSdl, { supportedFeatures: ROUTER_SUPPORTED_SUPERGRAPH_FEATURES });
  schema = supergraph.apiSchema().toGraphQLJSSchema({ includeDefer: true });
});

const operationOf = (text: string) => {
  const document = parse(text);
  return { document, operation: getOperationAST(document) as NonNullable<ReturnType<typeof getOperationAST>> };
};

describe('authorization directives', () => {
  it('reads @authenticated and @requiresScopes from the composed supergraph', () => {
    const requirements = requirementsOf(supergraph);
    expect(requirements.get('Query.orders')).toEqual({ authenticated: true, scopes: null });
    expect(requirements.get('Mutation.createProduct')).toEqual({ authenticated: true, scopes: [['admin']] });
    expect(requirements.get('Query.products')).toBeUndefined();
  });

  it('finds guarded fields at their response paths, through fragments and lists (@ for each element)', () => {
    const { document, operation } = operationOf(`
      query { products(first: 2) { edges { node { ...P } } } orders { edges { node { user { mine: orders { totalCount } } } } } }
      fragment P on Product { id faqs { product { id } } }
    `);
    const sites = guardedSites(schema, document, operation, requirementsOf(supergraph));
    expect(sites.map((site) => [site.path.join('.'), site.coordinate])).toEqual([
      ['orders', 'Query.orders'],
      ['orders.edges.@.node.user.mine', 'User.orders'],
    ]);
  });

  it('meets a requirement by role, or by the scope claim', () => {
    const admin = { authenticated: true, scopes: [['admin']] };
    expect(satisfies(null, { authenticated: true, scopes: null })).toBe(false);
    expect(satisfies({ id: 'u', role: 'CUSTOMER' }, { authenticated: true, scopes: null })).toBe(true);
    expect(satisfies({ id: 'u', role: 'CUSTOMER' }, admin)).toBe(false);
    expect(satisfies({ id: 'u', role: 'ADMIN' }, admin)).toBe(true);
    expect(satisfies({ id: 'u', role: 'CUSTOMER', scopes: ['admin'] }, admin)).toBe(true);
    // Any one inner list, all of its scopes.
    const either = { authenticated: true, scopes: [['a', 'b'], ['c']] };
    expect(satisfies({ id: 'u', role: 'CUSTOMER', scopes: ['a'] }, either)).toBe(false);
    expect(satisfies({ id: 'u', role: 'CUSTOMER', scopes: ['a', 'b'] }, either)).toBe(true);
    expect(satisfies({ id: 'u', role: 'CUSTOMER', scopes: ['c'] }, either)).toBe(true);
  });

  it('plans without the denied fields, leaving no selection empty', () => {
    const { document } = operationOf('{ categories { id } order(id: "1") { id } me { orders { totalCount } } }');
    const pruned = withoutCoordinates(schema, document, new Set(['Query.order', 'User.orders']));
    expect(print(pruned).replace(/\s+/g, ' ')).toBe('{ categories { id } me { __typename } }');
  });

  it('gives Apollo Gateway the supergraph without the security mark it refuses', () => {
    expect(supergraphSdl).toMatch(/authenticated\/v0\.1", for: SECURITY\)/);
    const stock = forApolloGateway(supergraphSdl);
    expect(stock).not.toMatch(/authenticated\/v0\.1", for: SECURITY\)/);
    expect(stock).not.toMatch(/requiresScopes\/v0\.1", for: SECURITY\)/);
    expect(() => Supergraph.build(stock)).not.toThrow();
  });
});

describe('demand control', () => {
  const cost = (text: string, variables: Record<string, unknown> = {}) => {
    const { document, operation } = operationOf(text);
    return estimateCost(schema, costRulesOf(supergraphSdl), document, operation, variables, 10);
  };

  it('counts objects, not scalars, and sizes lists by their slicing argument, its default, or @listSize', () => {
    expect(cost('{ categories { id name } }')).toBe(20); // assumedSize 20
    expect(cost('{ products(first: 5) { edges { node { id } } } }')).toBe(1 + 5 * 2);
    expect(cost('{ products { edges { node { id } } } }')).toBe(1 + 20 * 2); // first's default
    expect(cost('query ($n: Int) { products(first: $n) { edges { node { id } } } }', { n: 3 })).toBe(1 + 3 * 2);
    expect(cost('{ products(first: 5) { totalCount edges { node { faqs { id } } } } }')).toBe(1 + 5 * (2 + 10));
  });

  it('weighs mutations: 10 a field, or their @cost', () => {
    expect(cost('mutation { cancelOrder(id: "1") { id } }')).toBe(10);
    expect(cost('mutation { placeOrder(input: { items: [] }) { id items { quantity } } }')).toBe(50 + 10);
  });

  it('multiplies nested lists', () => {
    const nested = cost('{ categories { products(first: 100) { edges { node { faqs { id } } } } } }');
    expect(nested).toBe(20 * (1 + 1 + 100 * (1 + 1 + 10)));
  });
});

describe('header propagation', () => {
  it('sends each header to all subgraphs or to the one named', () => {
    const propagation = parseHeaderPropagation('X-Client-Name, products:x-locale');
    const taken = propagatedFrom(propagation, { 'x-client-name': 'web', 'x-locale': 'de', 'x-other': 'no' });
    expect(taken).toEqual({ 'x-client-name': 'web', 'x-locale': 'de' });
    expect(headersForSubgraph(propagation, 'products', taken)).toEqual([
      ['x-client-name', 'web'],
      ['x-locale', 'de'],
    ]);
    expect(headersForSubgraph(propagation, 'faq', taken)).toEqual([['x-client-name', 'web']]);
  });

  it('refuses headers the router sets, hop-by-hop headers and what is not a header name', () => {
    expect(() => parseHeaderPropagation('authorization')).toThrow(/set by the router/);
    expect(() => parseHeaderPropagation('products:connection')).toThrow(/set by the router/);
    expect(() => parseHeaderPropagation('x bad')).toThrow(/not a header name/);
    expect(parseHeaderPropagation(undefined).names).toEqual([]);
  });
});

describe('rate limit (one replica)', () => {
  it('allows the burst, then one request per refill, per identity', async () => {
    const limiter = createRateLimiter(
      { perSecond: 20, burst: 3, redisUrl: null, prefix: 'x' },
      pino({ level: 'silent' }),
    );
    const verdicts = [];
    for (let request = 0; request < 4; request++) verdicts.push((await limiter.take('a')).allowed);
    expect(verdicts).toEqual([true, true, true, false]);
    expect((await limiter.take('b')).allowed).toBe(true);
    const refused = await limiter.take('a');
    expect(refused).toEqual({ allowed: false, retryAfterSeconds: 1 });
    await new Promise((resolve) => setTimeout(resolve, 120)); // 20/s: more than two tokens back
    expect((await limiter.take('a')).allowed).toBe(true);
    expect((await limiter.take('a')).allowed).toBe(true);
    await limiter.close();
  });
});
