import { createHash } from 'node:crypto';
import {
  type CompositeType,
  isCompositeType,
  isSubtype,
  operationFromDocument,
  Supergraph,
} from '@apollo/federation-internals';
import { type DeferredNode, type QueryPlan, QueryPlanner, type ResponsePath } from '@apollo/query-planner';
import type {
  GatewayExecutionResult,
  GatewayExecutor,
  GatewayGraphQLRequestContext,
  GatewayInterface,
  GatewaySchemaLoadOrUpdateCallback,
} from '@apollo/server-gateway-interface';
import { Repeater } from '@repeaterjs/repeater';
import { injectTraceContext } from '@shop/platform';
import {
  type DocumentNode,
  type ExecutionResult,
  executeSync,
  type FieldNode,
  GraphQLError,
  type GraphQLSchema,
  Kind,
  type OperationDefinitionNode,
  parse,
  print,
  type VariableDefinitionNode,
} from 'graphql';
import { getVariableValues } from 'graphql/execution/values.js';
import { createClient } from 'graphql-sse';
import { LRUCache } from 'lru-cache';
import type { FetchCache } from '../cache/fetch-cache.js';
import type { RouterContext } from '../context.js';
import { downstream, executePlan, type PlanRun, type QueuedDeferred, variablesFor } from './execute-plan.js';
import { type DeferredSelection, deliverDeferred, prepareDeferred } from './incremental-delivery.js';
import { booleanDefaults, compileShaper, type Shaper } from './shape.js';
import {
  type CacheHint,
  createSubgraphClient,
  type FetchObserver,
  type SubgraphError,
  type SubgraphFetchPolicy,
} from './subgraph-client.js';

/**
 * The router's executor: Apollo's query planner plans, our code runs the plan and shapes the answer.
 * Everything about an operation that does not depend on the request — the planner's `Operation`, the plan,
 * each fetch's body prefix, the shaping steps — is computed once and kept, per document and operation name,
 * and computed at start for the project's persisted operations. Apollo Server in front parses, validates and
 * runs the plugins as before; this is its `gateway`.
 */
export interface PlanExecutorOptions {
  supergraphSdl: string;
  /** Each subgraph's URL (routing URLs with the overrides applied). */
  urls: Record<string, string>;
  policy: SubgraphFetchPolicy;
  onFetch: FetchObserver;
  /** Documents to prepare at start (the persisted operations). */
  warmDocuments?: Iterable<string>;
  /** Operations kept prepared (least recently used go first). */
  maxOperations?: number;
  /** The fetch cache; none: every fetch goes to its subgraph. */
  cache?: FetchCache | null;
}

interface PreparedOperation {
  plan: QueryPlan;
  shaper: Shaper;
  /** How each deferred part is shaped; null when the operation defers nothing. */
  selectionOf: ((node: DeferredNode) => DeferredSelection) | null;
  variableDefinitions: readonly VariableDefinitionNode[];
  defaults: Json;
  /** Introspection root fields (`__schema`, `__type`) as their own document, answered from the API schema. */
  introspection: DocumentNode | null;
}

type Json = Record<string, unknown>;

export function createPlanExecutor({
  supergraphSdl,
  urls,
  policy,
  onFetch,
  warmDocuments = [],
  maxOperations = 2_000,
  cache = null,
}: PlanExecutorOptions) {
  const supergraph = Supergraph.build(supergraphSdl);
  const apiSchema = supergraph.apiSchema();
  // With `@defer`: the planner makes Defer nodes for it, and Apollo Server validates it.
  const schema: GraphQLSchema = apiSchema.toGraphQLJSSchema({ includeDefer: true });
  const planner = new QueryPlanner(supergraph, { incrementalDelivery: { enableDefer: true } });
  const client = createSubgraphClient(urls, policy, onFetch);
  const operations = new LRUCache<string, PreparedOperation>({ max: maxOperations });

  const subtypeAnswers = new Map<string, boolean>();
  /** `... on Condition` in the supergraph (where `requires` may name types the API schema hides). */
  const isOfType = (typename: unknown, condition: string): boolean => {
    if (typeof typename !== 'string' || typename === '') return false;
    if (typename === condition) return true;
    const key = `${condition}\n${typename}`;
    let answer = subtypeAnswers.get(key);
    if (answer === undefined) {
      const type = supergraph.schema.type(typename);
      const conditionType = supergraph.schema.type(condition);
      answer =
        type !== undefined &&
        conditionType !== undefined &&
        isCompositeType(conditionType) &&
        (conditionType.kind === 'InterfaceType' || conditionType.kind === 'UnionType') &&
        isSubtype(conditionType as CompositeType, type);
      subtypeAnswers.set(key, answer);
    }
    return answer;
  };

  function prepare(document: DocumentNode, operation: OperationDefinitionNode): PreparedOperation {
    const name = operation.name?.value;
    const shaper = compileShaper(schema, document, operation);
    const deferred = shaper.defers ? prepareDeferred(schema, document, operation) : null;
    const planned = deferred?.document ?? document;
    const plannerOperation = operationFromDocument(apiSchema, planned, name ? { operationName: name } : {});
    const plan = planner.buildQueryPlan(plannerOperation);
    return {
      plan,
      shaper,
      selectionOf: deferred?.selectionOf ?? null,
      variableDefinitions: operation.variableDefinitions ?? [],
      defaults: booleanDefaults(operation),
      introspection: shaper.introspectionFields.length
        ? introspectionDocument(document, operation, shaper.introspectionFields)
        : null,
    };
  }

  const keyOf = (queryHash: string, operation: OperationDefinitionNode) =>
    `${queryHash}\n${operation.name?.value ?? ''}`;

  // A document this supergraph cannot run (another supergraph's operations) is prepared when asked, and refused then.
  for (const text of warmDocuments) {
    const document = parse(text);
    const queryHash = createHash('sha256').update(text).digest('hex');
    for (const definition of document.definitions) {
      if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
      try {
        operations.set(keyOf(queryHash, definition), prepare(document, definition));
      } catch {}
    }
  }

  /** The operation prepared (from the kept ones, or now), with the request's variables checked. */
  function preparedFor(
    document: DocumentNode,
    operation: OperationDefinitionNode,
    queryHash: string,
    variables: Json,
  ): PreparedOperation | { errors: readonly GraphQLError[] } {
    const key = keyOf(queryHash, operation);
    let prepared = operations.get(key);
    if (!prepared) {
      try {
        prepared = prepare(document, operation);
      } catch (error) {
        if (error instanceof GraphQLError) return { errors: [error] };
        throw error;
      }
      operations.set(key, prepared);
    }
    if (prepared.variableDefinitions.length > 0) {
      const { errors } = getVariableValues(schema, prepared.variableDefinitions, variables);
      if (errors) return { errors };
    }
    return prepared;
  }

  /** Sends a fetch of a plan as the request's caller (its token, request id and trace). */
  const sender =
    (context: RouterContext, restrict: (hint: CacheHint) => void): PlanRun['send'] =>
    (fetch, body) =>
      client
        .send(fetch.node.serviceName, { body, mutation: fetch.mutation, headers: headersFor(context) })
        .then((answer) => {
          if (answer.cacheHint) restrict(answer.cacheHint);
          return answer;
        });

  async function execute(request: GatewayGraphQLRequestContext<RouterContext>): Promise<GatewayExecutionResult> {
    const { document, operation, queryHash } = request;
    if (!operation) return { errors: [new GraphQLError('no operation to run')] };
    const variables = (request.request.variables ?? {}) as Json;
    const prepared = preparedFor(document, operation, queryHash, variables);
    if ('errors' in prepared) return prepared;

    const context = request.context;
    const errors: (GraphQLError | Error)[] = [];
    const stale: PlanRun['stale'] = [];
    const gathered: Json = Object.create(null);
    // Each subgraph's Cache-Control, and each cached part's, limits the whole answer's.
    const restrict = (hint: CacheHint) => request.overallCachePolicy?.restrict(hint);
    // Deferred parts wait for the first payload when the client takes an incremental answer; else they run at once.
    const deferred: QueuedDeferred[] | null = prepared.selectionOf && context.pipeline.acceptsIncremental ? [] : null;
    const run: PlanRun = {
      variables,
      defaults: prepared.defaults,
      errors,
      isOfType,
      stale,
      deferred,
      cache:
        cache && operation.operation === 'query' ? cache.forRequest(context.viewer, context.pipeline, restrict) : null,
      send: sender(context, restrict),
    };
    if (prepared.plan.node) {
      if (prepared.plan.node.kind === 'Subscription') {
        return {
          errors: [
            new GraphQLError(
              'subscriptions are answered as a stream: send this one with Accept: text/event-stream (GraphQL over SSE) or over WebSocket (graphql-ws)',
              { extensions: { code: 'BAD_REQUEST' } },
            ),
          ],
        };
      }
      await executePlan(run, prepared.plan.node, gathered);
    }
    const incremental = deferred !== null && deferred.length > 0;

    try {
      const introspected = prepared.introspection
        ? (executeSync({ schema, document: prepared.introspection, variableValues: variables }).data as Json)
        : null;
      const { data, incomplete } = prepared.shaper.shape(gathered, variables, introspected, {
        leaveOutDeferred: incremental,
      });
      if (incremental && prepared.selectionOf) {
        context.pipeline.later = deliverDeferred({
          queued: deferred,
          run,
          gathered,
          delivered: data ? structuredClone(data) : null,
          variables: { ...prepared.defaults, ...variables },
          selectionOf: prepared.selectionOf,
          isOfType,
        });
      }
      const extensions: Json = {};
      // Parts served past their max-age while their subgraph was unreachable: where, and how old.
      if (stale.length > 0) extensions.stale = stale;
      // Values that could not be completed are reported when nothing else went wrong: otherwise the error that
      // caused them already explains the nulls (Apollo Gateway's rule, and the Router's `valueCompletion`).
      if (errors.length === 0 && incomplete.length > 0) extensions.valueCompletion = incomplete;
      return {
        data,
        ...(errors.length > 0 ? { errors: errors as GraphQLError[] } : {}),
        ...(Object.keys(extensions).length > 0 ? { extensions } : {}),
      };
    } catch (error) {
      return { errors: [error instanceof GraphQLError ? error : new GraphQLError((error as Error).message)] };
    }
  }

  /**
   * A subscription (README: "Subscriptions"): the planner's primary fetch is a subscription to one subgraph,
   * over GraphQL over SSE as the caller; each event it sends is completed by the rest of the plan (fields of
   * other subgraphs) and shaped like any answer. Ends when the subgraph's stream ends (an error first if it
   * failed) or when the caller goes away (the subgraph's stream is closed then).
   */
  function subscribe({
    document,
    operation,
    variables,
    context,
  }: SubscriptionRequest): AsyncIterable<ExecutionResult> | ExecutionResult {
    const queryHash = createHash('sha256').update(print(document)).digest('hex');
    const prepared = preparedFor(document, operation, queryHash, variables);
    if ('errors' in prepared) return prepared;
    const node = prepared.plan.node;
    if (node?.kind !== 'Subscription') {
      return { errors: [new GraphQLError('a stream answers subscriptions only; send queries and mutations as POST')] };
    }
    const { primary, rest } = node;
    const url = urls[primary.serviceName] as string;
    return new Repeater<ExecutionResult>(async (push, stop) => {
      const subgraph = createClient({ url, headers: () => headersFor(context), retryAttempts: 0 });
      const events = subgraph.iterate<Json>({
        query: primary.operation,
        variables: variablesFor(primary, variables),
        ...(primary.operationName ? { operationName: primary.operationName } : {}),
      });
      void stop.then(() => events.return?.());
      try {
        for await (const event of events) {
          const errors: (GraphQLError | Error)[] = (event.errors ?? []).map((error) =>
            downstream(error as unknown as SubgraphError, primary.serviceName, error.path as ResponsePath | undefined),
          );
          const gathered = (event.data ?? null) as Json | null;
          const run: PlanRun = {
            variables,
            defaults: prepared.defaults,
            errors,
            isOfType,
            stale: [],
            deferred: null,
            cache: null,
            send: sender(context, () => undefined),
          };
          if (gathered && rest) await executePlan(run, rest, gathered);
          const { data, incomplete } = prepared.shaper.shape(gathered, variables, null);
          await push({
            data: data ?? null,
            ...(errors.length > 0 ? { errors: errors as GraphQLError[] } : {}),
            ...(errors.length === 0 && incomplete.length > 0 ? { extensions: { valueCompletion: incomplete } } : {}),
          });
        }
      } catch {
        const failure = `the ${primary.serviceName} service's subscription stopped: subscribe again (with the last sequence you received, to miss nothing)`;
        await push({
          errors: [
            new GraphQLError(failure, {
              extensions: { code: 'SERVICE_UNAVAILABLE', serviceName: primary.serviceName },
            }),
          ],
        });
      } finally {
        subgraph.dispose();
      }
      stop();
    });
  }

  let notify: GatewaySchemaLoadOrUpdateCallback | null = null;
  const gateway: GatewayInterface = {
    onSchemaLoadOrUpdate(callback) {
      notify = callback;
      return () => {
        notify = null;
      };
    },
    async load() {
      notify?.({ apiSchema: schema, coreSupergraphSdl: supergraphSdl });
      return { executor: execute as GatewayExecutor };
    },
    stop: () => client.close(),
  };
  return Object.assign(gateway, { subscribe, schema });
}

export interface SubscriptionRequest {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  variables: Json;
  context: RouterContext;
}

/** The headers of a subgraph request on behalf of the caller: its token, the request id, the trace. */
function headersFor(context: RouterContext): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  injectTraceContext({ set: (name: string, value: string) => (headers[name] = value) });
  if (context.requestId) headers['x-request-id'] = context.requestId;
  if (context.authorization) headers.authorization = context.authorization;
  return headers;
}

/** The operation's introspection root fields alone, with the variables and fragments they use. */
function introspectionDocument(
  document: DocumentNode,
  operation: OperationDefinitionNode,
  fields: FieldNode[],
): DocumentNode {
  return {
    kind: Kind.DOCUMENT,
    definitions: [
      { ...operation, selectionSet: { kind: Kind.SELECTION_SET, selections: fields } },
      ...document.definitions.filter((definition) => definition.kind === Kind.FRAGMENT_DEFINITION),
    ],
  };
}
