import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Supergraph as ComposedSupergraph, ROUTER_SUPPORTED_SUPERGRAPH_FEATURES } from '@apollo/federation-internals';
import type { Viewer } from '@shop/platform';
import { deniedSites, guardedSites, requirementsOf } from '@shop/router/executor/authorization';
import { booleanDefaults } from '@shop/router/executor/shape';
import fc from 'fast-check';
import { buildSchema, getOperationAST, type OperationDefinitionNode, parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPOSITORY_ROOT } from '../../scripts/subgraphs.js';
import { type Supergraph, startSupergraph } from '../harness/supergraph.js';
import { type KnownValues, knownValues, randomOperation } from './random-operations.js';

/**
 * The router's own executor against Apollo Gateway's, on the same plans from the same planner: random read
 * operations drawn from the API schema (selections, aliases, fragments, `@skip`/`@include`, variables), each
 * sent to a router of each kind in front of the same subgraphs, as an anonymous visitor, a customer and an
 * admin. Both answers (status, data, errors with their paths and codes) must be identical. The data does not
 * change while the test runs, so any difference is the executors'. An operation selecting a field the caller may
 * not see (`@authenticated`, `@requiresScopes`) is answered differently by design: Apollo Gateway does not
 * enforce those directives, so there ours must refuse exactly those fields, with UNAUTHORIZED_FIELD_OR_TYPE.
 *
 * Replay a failure with the seed it prints: EXECUTOR_SEED=<seed> npx vitest run executor (from e2e/).
 */
const SEED = Number(process.env.EXECUTOR_SEED ?? 20261204);
const RUNS = Number(process.env.EXECUTOR_RUNS ?? 300);

const apiSchema = buildSchema(readFileSync(path.join(REPOSITORY_ROOT, 'schema/api.graphql'), 'utf8'));

let supergraph: Supergraph;
let own: string;
let apollo: string;
const tokens: (string | undefined)[] = [undefined];
const viewers: (Viewer | null)[] = [null];
const requirements = requirementsOf(
  ComposedSupergraph.build(readFileSync(path.join(REPOSITORY_ROOT, 'supergraph.graphql'), 'utf8'), {
    supportedFeatures: ROUTER_SUPPORTED_SUPERGRAPH_FEATURES,
  }),
);
const known: KnownValues = { ids: [], strings: [] };

beforeAll(async () => {
  supergraph = await startSupergraph();
  const settings = { CACHE: 'off', SUBGRAPH_DEDUPLICATION: 'false' };
  own = (await supergraph.startRouter({ ...settings, ROUTER_EXECUTOR: 'own' })).url;
  apollo = (await supergraph.startRouter({ ...settings, ROUTER_EXECUTOR: 'apollo' })).url;
  const admin = await supergraph.logInAs('admin');
  tokens.push(admin, await supergraph.logInAs('ada'));
  viewers.push({ id: 'admin', role: 'ADMIN' }, { id: 'ada', role: 'CUSTOMER' });
  Object.assign(known, await knownValues(supergraph, admin));
});
afterAll(async () => {
  await supergraph?.close();
});

describe('the own executor answers as Apollo Gateway does', () => {
  it(`on ${RUNS} random operations (seed ${SEED})`, async () => {
    /** How the operations were answered (data only, or the first error's code): printed, to show the reach. */
    const outcomes = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.nat(tokens.length - 1), async (seed, who) => {
        const { document, variables } = randomOperation(apiSchema, known, seed);
        const token = tokens[who];
        const [ours, theirs] = await Promise.all(
          [own, apollo].map((url) => supergraph.request(document, variables, { url, ...(token ? { token } : {}) })),
        );
        const parsed = parse(document);
        const operation = getOperationAST(parsed) as OperationDefinitionNode;
        const sites = guardedSites(apiSchema, parsed, operation, requirements);
        const denied = deniedSites(sites, viewers[who] ?? null, { ...booleanDefaults(operation), ...variables });
        if (denied.length > 0 && ours?.status === 200) {
          const refused = ours.body.errors?.filter((error) => error.extensions?.code === 'UNAUTHORIZED_FIELD_OR_TYPE');
          expect(refused?.map((error) => error.path?.join('.')).sort(), document).toEqual(
            denied.map((site) => site.path.join('.')).sort(),
          );
          outcomes.set('unauthorized', (outcomes.get('unauthorized') ?? 0) + 1);
          return;
        }
        expect({ status: ours?.status, body: ours?.body }, document).toEqual({
          status: theirs?.status,
          body: theirs?.body,
        });
        const outcome = String(ours?.body.errors?.[0]?.extensions?.code ?? 'data');
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }),
      { seed: SEED, numRuns: RUNS },
    );
    console.info(`executor equivalence: ${[...outcomes].map(([outcome, count]) => `${outcome} ${count}`).join(', ')}`);
    // The operations reach past validation: most must be answered with data.
    expect(outcomes.get('data') ?? 0).toBeGreaterThan(RUNS / 2);
  });

  it('with a subgraph down: the same partial answers and errors', async () => {
    const document = `{ products(first: 3) { edges { node { id name faqs { question } } } } categories { slug } }`;
    await supergraph.stopSubgraph('faq');
    try {
      const [ours, theirs] = await Promise.all([own, apollo].map((url) => supergraph.request(document, {}, { url })));
      expect(ours?.body.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
      expect(ours?.body).toEqual(theirs?.body);
    } finally {
      await supergraph.restartSubgraph('faq');
    }
  });
});
