import { createHash } from 'node:crypto';
import {
  type CompositeType,
  isCompositeType,
  isSubtype,
  operationFromDocument,
  ROUTER_SUPPORTED_SUPERGRAPH_FEATURES,
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
import { injectTraceContext, type Viewer } from '@shop/platform';
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
import { headersForSubgraph } from '../header-propagation.js';
import {
  deniedSites,
  type GuardedSite,
  guardedSites,
  requirementsOf,
  unauthorized,
  withoutCoordinates,
} from './authorization.js';
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
  /** The fields it selects that `@authenticated` or `@requiresScopes` guard. */
  guarded: GuardedSite[];
}

type Json = Record<string, unknown>;

/** What the executor serves from one supergraph (see `build`). */
interface Served {
  sdl: string;
  urls: Record<string, string>;
  schema: GraphQLSchema;
  client: ReturnType<typeof createSubgraphClient>;
  isOfType: (typename: unknown, condition: string) => boolean;
  prepare: (document: DocumentNode, operation: OperationDefinitionNode, denied?: Set<string>) => PreparedOperation;
  operations: LRUCache<string, PreparedOperation>;
}

/** A prepared operation, and the errors for the fields it was prepared without (the caller may not see them). */
interface PreparedFor {
  prepared: PreparedOperation;
  unauthorized: GraphQLError[];
}

const keyOf = (queryHash: string, operation: OperationDefinitionNode) => `${queryHash}\n${operation.name?.value ?? ''}`;

export function createPlanExecutor({
  supergraphSdl,
  urls,
  policy,
  onFetch,
  warmDocuments = [],
  maxOperations = 2_000,
  cache = null,
}: PlanExecutorOptions) {
  const documents = [...warmDocuments];
  let served = build(supergraphSdl, urls, null);

  /**
   * Everything that comes from one supergraph: its API schema, planner, subgraph client, authorization rules
   * and prepared operations. A reload builds a new one beside it and switches at once (`reload`); a request
   * keeps the one it started with.
   */
  function build(sdl: string, subgraphUrls: Record<string, string>, previous: Served | null): Served {
    const supergraph = Supergraph.build(sdl, { supportedFeatures: ROUTER_SUPPORTED_SUPERGRAPH_FEATURES });
    const apiSchema = supergraph.apiSchema();
    // With `@defer`: the planner makes Defer nodes for it, and Apollo Server validates it.
    const schema: GraphQLSchema = apiSchema.toGraphQLJSSchema({ includeDefer: true });
    const planner = new QueryPlanner(supergraph, { incrementalDelivery: { enableDefer: true } });
    const sameUrls = previous && JSON.stringify(previous.urls) === JSON.stringify(subgraphUrls);
    const client = sameUrls ? previous.client : createSubgraphClient(subgraphUrls, policy, onFetch);
    const requirements = requirementsOf(supergraph);
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

    /** The operation planned without the fields in `denied` (`Type.field`), which the caller may not see. */
    function prepare(document: DocumentNode, operation: OperationDefinitionNode, denied?: Set<string>) {
      const name = operation.name?.value;
      const shaper = compileShaper(schema, document, operation);
      const deferred = shaper.defers ? prepareDeferred(schema, document, operation) : null;
      const labelled = deferred?.document ?? document;
      const planned = denied ? withoutCoordinates(schema, labelled, denied) : labelled;
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
        guarded: guardedSites(schema, document, operation, requirements),
      } satisfies PreparedOperation;
    }

    // A document this supergraph cannot run (another supergraph's operations) is prepared when asked, and refused
    // then. On a reload, an operation the served supergraph planned and this one cannot refuses the new one.
    for (const text of documents) {
      const document = parse(text);
      const queryHash = createHash('sha256').update(text).digest('hex');
      for (const definition of document.definitions) {
        if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
        const key = keyOf(queryHash, definition);
        try {
          operations.set(key, prepare(document, definition));
        } catch (error) {
          if (previous?.operations.has(key)) {
            const name = definition.name?.value ?? 'an anonymous operation';
            throw new Error(`the persisted operation ${name} no longer plans: ${(error as Error).message}`);
          }
        }
      }
    }
    return { sdl, urls: subgraphUrls, schema, client, isOfType, prepare, operations };
  }

  /** The operation prepared (from the kept ones, or now), with the request's variables checked. */
  function preparedFor(
    document: DocumentNode,
    operation: OperationDefinitionNode,
    queryHash: string,
    variables: Json,
    viewer: Viewer | null,
    current = served,
  ): PreparedFor | { errors: readonly GraphQLError[] } {
    const key = keyOf(queryHash, operation);
    let prepared = current.operations.get(key);
    try {
      if (!prepared) {
        prepared = current.prepare(document, operation);
        current.operations.set(key, prepared);
      }
      // Guarded fields the caller may not see: the operation is planned without them (kept per set denied).
      const denied = deniedSites(prepared.guarded, viewer, { ...prepared.defaults, ...variables });
      if (denied.length > 0) {
        const coordinates = new Set(denied.map((site) => site.coordinate));
        const deniedKey = `${key}\n${[...coordinates].sort().join(' ')}`;
        let restricted = current.operations.get(deniedKey);
        if (!restricted) {
          restricted = current.prepare(document, operation, coordinates);
          current.operations.set(deniedKey, restricted);
        }
        prepared = restricted;
      }
      if (prepared.variableDefinitions.length > 0) {
        const { errors } = getVariableValues(current.schema, prepared.variableDefinitions, variables);
        if (errors) return { errors };
      }
      return { prepared, unauthorized: denied.map((site) => unauthorized(site, viewer)) };
    } catch (error) {
      if (error instanceof GraphQLError) return { errors: [error] };
      throw error;
    }
  }

  /** Sends a fetch of a plan as the request's caller (its token, request id and trace). */
  const sender =
    (context: RouterContext, restrict: (hint: CacheHint) => void, client = served.client): PlanRun['send'] =>
    (fetch, body) =>
      client
        .send(fetch.node.serviceName, {
          body,
          mutation: fetch.mutation,
          ...headersFor(context, fetch.node.serviceName),
        })
        .then((answer) => {
          if (answer.cacheHint) restrict(answer.cacheHint);
          return answer;
        });

  async function execute(request: GatewayGraphQLRequestContext<RouterContext>): Promise<GatewayExecutionResult> {
    const { document, operation, queryHash } = request;
    if (!operation) return { errors: [new GraphQLError('no operation to run')] };
    const variables = (request.request.variables ?? {}) as Json;
    const context = request.context;
    const current = served;
    const { isOfType, schema } = current;
    const found = preparedFor(document, operation, queryHash, variables, context.viewer, current);
    if ('errors' in found) return found;
    const { prepared } = found;

    const errors: (GraphQLError | Error)[] = [...found.unauthorized];
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
        cache && operation.operation === 'query'
          ? cache.forRequest(
              context.viewer,
              context.pipeline,
              restrict,
              (subgraph) => headersFor(context, subgraph).vary,
            )
          : null,
      send: sender(context, restrict, current.client),
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
    const current = served;
    const { isOfType } = current;
    const found = preparedFor(document, operation, queryHash, variables, context.viewer, current);
    if ('errors' in found) return found;
    // A subscription the caller may not have is refused whole: there is nothing to serve beside it.
    if (found.unauthorized.length > 0) return { errors: found.unauthorized };
    const { prepared } = found;
    const node = prepared.plan.node;
    if (node?.kind !== 'Subscription') {
      return { errors: [new GraphQLError('a stream answers subscriptions only; send queries and mutations as POST')] };
    }
    const { primary, rest } = node;
    const url = current.urls[primary.serviceName] as string;
    return new Repeater<ExecutionResult>(async (push, stop) => {
      const subgraph = createClient({
        url,
        headers: () => headersFor(context, primary.serviceName).headers,
        retryAttempts: 0,
      });
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
            send: sender(context, () => undefined, current.client),
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
      notify?.({ apiSchema: served.schema, coreSupergraphSdl: served.sdl });
      return { executor: execute as GatewayExecutor };
    },
    stop: async () => {
      await served.client.close();
      await Promise.all(retired.map((client) => client.close()));
    },
  };
  const retired: ReturnType<typeof createSubgraphClient>[] = [];
  /**
   * Serves another supergraph: builds it beside the served one (validation, plans for the persisted operations),
   * then switches; throws, keeping the served one, when it does not build. Apollo Server takes the new API
   * schema for requests that start from now on.
   */
  function reload(sdl: string, subgraphUrls: Record<string, string>): void {
    const next = build(sdl, subgraphUrls, served);
    if (next.client !== served.client) retired.push(served.client);
    served = next;
    notify?.({ apiSchema: next.schema, coreSupergraphSdl: sdl });
  }
  return Object.assign(gateway, {
    subscribe,
    reload,
    get schema() {
      return served.schema;
    },
  });
}

export interface SubscriptionRequest {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  variables: Json;
  context: RouterContext;
}

/**
 * The headers of a subgraph request on behalf of the caller: its token, the request id, the trace, and the
 * client headers propagated to this subgraph (`vary`: they make the answer another one, for sharing and caching).
 */
function headersFor(context: RouterContext, subgraph: string): { headers: Record<string, string>; vary: string } {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  injectTraceContext({ set: (name: string, value: string) => (headers[name] = value) });
  if (context.requestId) headers['x-request-id'] = context.requestId;
  if (context.authorization) headers.authorization = context.authorization;
  let vary = '';
  if (context.propagated) {
    for (const [name, value] of headersForSubgraph(context.propagated.settings, subgraph, context.propagated.taken)) {
      headers[name] = value;
      vary += `${name}:${value}\n`;
    }
  }
  return { headers, vary };
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
