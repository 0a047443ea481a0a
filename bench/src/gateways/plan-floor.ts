/**
 * The floor of the realistic mix: a router reduced to what no router can skip. Each distinct document is
 * planned once by Apollo's planner (the plan is then fixed), and every request runs that plan's subgraph fetches
 * with the router's own executor and subgraph client: no validation, no token check, no plugins, no response
 * shaping (the answer is the fetches' merged data, extra keys and all, so it is checked by its effects, not
 * compared). What ours costs above this is what its parsing, validation, shaping and plugins cost.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { operationFromDocument, ROUTER_SUPPORTED_SUPERGRAPH_FEATURES, Supergraph } from '@apollo/federation-internals';
import { type QueryPlan, QueryPlanner } from '@apollo/query-planner';
import { executePlan } from '@shop/router/executor/execute-plan';
import { createSubgraphClient } from '@shop/router/executor/subgraph-client';
import { subgraphUrls } from '@shop/router/gateway';
import { parse } from 'graphql';

const supergraphSdl = readFileSync(process.env.SUPERGRAPH_FILE as string, 'utf8');
const supergraph = Supergraph.build(supergraphSdl, { supportedFeatures: ROUTER_SUPPORTED_SUPERGRAPH_FEATURES });
const planner = new QueryPlanner(supergraph);
const client = createSubgraphClient(
  subgraphUrls(supergraphSdl, {}),
  { timeoutMs: 5_000, retries: 0, shareIdenticalQueries: false, connections: 32 },
  () => undefined,
);
const plans = new Map<string, QueryPlan>();

function planOf(query: string): QueryPlan {
  let plan = plans.get(query);
  if (!plan) {
    plan = planner.buildQueryPlan(operationFromDocument(supergraph.apiSchema(), parse(query)));
    plans.set(query, plan);
  }
  return plan;
}

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', async () => {
    const { query, variables = {} } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const plan = planOf(query);
    const data: Record<string, unknown> = Object.create(null);
    const errors: unknown[] = [];
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (request.headers.authorization) headers.authorization = request.headers.authorization;
    if (plan.node && plan.node.kind !== 'Subscription') {
      await executePlan(
        {
          variables,
          defaults: {},
          errors: errors as Error[],
          isOfType: (typename, condition) => typename === condition,
          cache: null,
          stale: [],
          deferred: null,
          send: (fetch, body) => client.send(fetch.node.serviceName, { body, mutation: fetch.mutation, headers }),
        },
        plan.node,
        data,
      );
    }
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify(errors.length ? { data, errors } : { data }));
  });
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log(`plan floor on ${process.env.PORT}`));
