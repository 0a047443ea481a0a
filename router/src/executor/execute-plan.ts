import type {
  FetchDataRewrite,
  FetchNode,
  PlanNode,
  QueryPlanSelectionNode,
  ResponsePath,
} from '@apollo/query-planner';
import { type Span, SpanStatusCode, trace } from '@opentelemetry/api';
import { GraphQLError } from 'graphql';
import type { SubgraphAnswer, SubgraphError } from './subgraph-client.js';

/**
 * Runs a query plan from Apollo's planner: Sequence, Parallel, Flatten, Fetch and Condition nodes, gathering
 * every fetch's data into one tree for shaping. What it does per fetch is Apollo Gateway's (`executeQueryPlan`),
 * with the work that does not depend on the request done once per plan (`prepareFetch`) and each distinct
 * entity representation sent once.
 */

type Json = Record<string, unknown>;

/** What a plan needs from the request and the router. */
export interface PlanRun {
  variables: Json;
  /** The operation's Boolean variable defaults, for conditions on variables the request left out. */
  defaults: Json;
  errors: (GraphQLError | Error)[];
  /** Sends one subgraph request; never throws (an unreachable subgraph is an answer with an error). */
  send(fetch: PreparedFetch, body: string): Promise<SubgraphAnswer>;
  /** Whether an object is of a type, or of a subtype of it, in the supergraph (`... on` in `requires`). */
  isOfType(typename: unknown, condition: string): boolean;
}

/** A fetch node with what every request needs of it computed once. */
export interface PreparedFetch {
  node: FetchNode;
  /** `{"query":…,"operationName":…,"variables":` — the body up to the variables. */
  bodyPrefix: string;
  mutation: boolean;
}

interface Cursor {
  path: ResponsePath;
  data: Json | Json[];
  root: Json;
}

const tracer = trace.getTracer('shop-router');
const prepared = new WeakMap<FetchNode, PreparedFetch>();

function prepareFetch(node: FetchNode): PreparedFetch {
  let fetch = prepared.get(node);
  if (!fetch) {
    const operationName =
      node.operationName === undefined ? '' : `,"operationName":${JSON.stringify(node.operationName)}`;
    fetch = {
      node,
      bodyPrefix: `{"query":${JSON.stringify(node.operation)}${operationName},"variables":`,
      mutation: node.operationKind !== 'query',
    };
    prepared.set(node, fetch);
  }
  return fetch;
}

export async function executePlan(run: PlanRun, node: PlanNode, root: Json): Promise<void> {
  await executeNode(run, node, { path: [], data: root, root });
}

async function executeNode(run: PlanRun, node: PlanNode, cursor: Cursor | undefined): Promise<void> {
  if (!cursor) return; // nothing at the flattened path (e.g. a null parent): nothing to fetch
  switch (node.kind) {
    case 'Sequence':
      for (const child of node.nodes) await executeNode(run, child, cursor);
      return;
    case 'Parallel':
      await Promise.all(node.nodes.map((child) => executeNode(run, child, cursor)));
      return;
    case 'Flatten':
      return executeNode(run, node.node, moveInto(cursor, node.path));
    case 'Condition': {
      const provided = Object.hasOwn(run.variables, node.condition) ? run.variables[node.condition] : undefined;
      const value = provided ?? run.defaults[node.condition];
      const branch = value === true ? node.ifClause : node.elseClause;
      if (branch) await executeNode(run, branch, cursor);
      return;
    }
    case 'Fetch':
      try {
        await tracer.startActiveSpan('gateway.fetch', { attributes: { service: node.serviceName } }, (span) =>
          executeFetch(run, prepareFetch(node), cursor).finally(() => span.end()),
        );
      } catch (error) {
        run.errors.push(error as Error);
      }
      return;
    case 'Defer':
      // The planner emits these only with incremental delivery enabled, which this router does not enable yet.
      throw new Error('a Defer plan node reached an executor that does not run @defer yet');
  }
}

async function executeFetch(run: PlanRun, fetch: PreparedFetch, cursor: Cursor): Promise<void> {
  const { node } = fetch;
  const entities = Array.isArray(cursor.data) ? cursor.data.filter((entity) => entity != null) : [cursor.data];
  if (entities.length === 0) return;
  const variables = variablesFor(node, run.variables);

  if (!node.requires) {
    const answer = await send(run, fetch, cursor, `${fetch.bodyPrefix}${JSON.stringify(variables)}}`, null);
    const data = answer.data;
    if (!data) return;
    applyRewrites(run, node.outputRewrites, data);
    for (const entity of entities) deepMerge(entity, data);
    return;
  }

  // One representation per entity that has the keys the subgraph needs; each distinct one is sent once.
  const representationOf: number[] = []; // per represented entity: which distinct representation
  const represented: Json[] = [];
  const distinct = new Map<string, number>();
  for (const entity of entities) {
    const representation = select(run, entity, node.requires);
    if (!representation?.__typename) continue;
    applyRewrites(run, node.inputRewrites, representation);
    const text = JSON.stringify(representation);
    let index = distinct.get(text);
    if (index === undefined) {
      index = distinct.size;
      distinct.set(text, index);
    }
    representationOf.push(index);
    represented.push(entity);
  }
  if (represented.length === 0) return; // no entity matches the type conditions of `requires`
  if (Object.hasOwn(variables, 'representations')) throw new Error('Variables cannot contain key "representations"');
  const representations = `"representations":[${[...distinct.keys()].join(',')}]`;
  const others = JSON.stringify(variables).slice(1, -1); // the fetch's other variables, without their braces
  const body = `${fetch.bodyPrefix}{${representations}${others ? `,${others}` : ''}}}`;
  const answer = await send(run, fetch, cursor, body, representationOf);
  if (!answer.data) return;
  const received = answer.data._entities;
  if (!Array.isArray(received)) throw new Error('Expected "data._entities" in response to be an array');
  if (received.length !== distinct.size) {
    throw new Error(`Expected "data._entities" to contain ${distinct.size} elements`);
  }
  represented.forEach((entity, index) => {
    // A representation sent once for several entities is merged into each (later fetches merge into it alike).
    const value = received[representationOf[index] as number] as Json | null;
    if (value && !value.__typename) value.__typename = entity.__typename;
    if (value) applyRewrites(run, node.outputRewrites, value);
    deepMerge(entity, value);
  });
}

/** The request's values of the variables this fetch uses (undefined ones left out). */
function variablesFor(node: FetchNode, provided: Json): Json {
  const variables: Json = {};
  for (const name of node.variableUsages ?? []) {
    if (Object.hasOwn(provided, name) && provided[name] !== undefined) variables[name] = provided[name];
  }
  return variables;
}

async function send(
  run: PlanRun,
  fetch: PreparedFetch,
  cursor: Cursor,
  body: string,
  representationOf: number[] | null,
): Promise<SubgraphAnswer> {
  const answer = await run.send(fetch, body);
  if (answer.errors?.length) {
    const span = trace.getActiveSpan() as Span | undefined;
    span?.setStatus({ code: SpanStatusCode.ERROR });
    run.errors.push(...subgraphErrors(answer.errors, fetch.node, cursor, representationOf));
  }
  return answer;
}

/**
 * A subgraph's errors as the client sees them: with the subgraph's name, a code (DOWNSTREAM_SERVICE_ERROR when it
 * gave none) and a path into the client's answer (an `_entities` index becomes the entity's own path; an index
 * of a representation sent once for several entities names each of them, in order).
 */
function subgraphErrors(
  errors: SubgraphError[],
  node: FetchNode,
  cursor: Cursor,
  representationOf: number[] | null,
): GraphQLError[] {
  let entityPaths: ResponsePath[] | undefined;
  const converted: { order: number; error: GraphQLError }[] = [];
  for (const [position, error] of errors.entries()) {
    const path = error.path;
    const entityIndex = node.requires && typeof path?.[1] === 'number' ? path[1] : undefined;
    if (entityIndex === undefined) {
      const full = path ? [...cursor.path, ...path] : undefined;
      converted.push({ order: -1, error: downstream(error, node.serviceName, full) });
      continue;
    }
    if (!entityPaths) {
      entityPaths = [];
      hydratePaths([], cursor.path, cursor.root, entityPaths);
    }
    const rest = (path as ResponsePath).slice(2);
    const indices = representationOf
      ? representationOf.flatMap((distinct, index) => (distinct === entityIndex ? [index] : []))
      : [entityIndex];
    for (const index of indices) {
      converted.push({
        order: index + position / errors.length,
        error: downstream(error, node.serviceName, [...(entityPaths[index] ?? []), ...rest]),
      });
    }
  }
  return converted.sort((a, b) => a.order - b.order).map(({ error }) => error);
}

function downstream(error: SubgraphError, serviceName: string, path: ResponsePath | undefined): GraphQLError {
  const extensions: Record<string, unknown> = { ...error.extensions, serviceName };
  if (extensions.code === undefined) extensions.code = 'DOWNSTREAM_SERVICE_ERROR';
  return new GraphQLError(error.message || `Error while fetching subquery from service "${serviceName}"`, {
    ...(path ? { path } : {}),
    extensions,
  });
}

/** Every concrete path a plan path (`["orders", "@", "user"]`) reaches in the data, in order. */
function hydratePaths(prefix: ResponsePath, path: ResponsePath, data: unknown, out: ResponsePath[]): void {
  if (data == null) return;
  if (path.length === 0) {
    out.push([...prefix]);
    return;
  }
  const [head, ...rest] = path;
  if (Array.isArray(data)) {
    const next = head === '@' ? rest : path;
    for (const [index, value] of data.entries()) hydratePaths([...prefix, index], next, value, out);
  } else if (typeof head === 'string' && head !== '@' && Object.hasOwn(data as Json, head)) {
    hydratePaths([...prefix, head], rest, (data as Json)[head], out);
  }
}

function moveInto(cursor: Cursor, path: ResponsePath): Cursor | undefined {
  const data = flatten(cursor.data, path);
  return data ? { path: [...cursor.path, ...path], data, root: cursor.root } : undefined;
}

function flatten(value: unknown, path: ResponsePath): Json | Json[] | undefined {
  if (value == null) return undefined;
  if (path.length === 0) return value as Json | Json[];
  const [head, ...rest] = path;
  if (head === '@') {
    return (value as unknown[]).flatMap((element) => flatten(element, rest) ?? []) as Json[];
  }
  if (Array.isArray(value)) throw new Error(`Unexpected array in result for path element ${head}`);
  return flatten(Object.hasOwn(value as Json, head as string) ? (value as Json)[head as string] : undefined, rest);
}

/** The representation of an entity: the `requires` selection of its data; null when a key is missing. */
function select(run: PlanRun, source: Json | null, selections: QueryPlanSelectionNode[]): Json | null {
  if (source === null) return null;
  const result: Json = Object.create(null);
  for (const selection of selections) {
    if (selection.kind === 'Field') {
      const name = selection.alias ?? selection.name;
      const value = Object.hasOwn(source, name) ? source[name] : undefined;
      if (value === undefined) return null;
      const inner = selection.selections;
      result[name] = Array.isArray(value)
        ? value.map((element) => (inner ? select(run, element as Json | null, inner) : element))
        : inner
          ? select(run, value as Json | null, inner)
          : value;
    } else if (selection.typeCondition && run.isOfType(source.__typename, selection.typeCondition)) {
      deepMerge(result, select(run, source, selection.selections));
    }
  }
  return result;
}

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Merges a fetch's data into what earlier fetches gathered (Apollo's rules: lists of equal length pairwise). */
function deepMerge(target: Json, source: Json | null | undefined): void {
  if (source == null) return;
  for (const key of Object.keys(source)) {
    const value = source[key];
    if (value === undefined) continue;
    const existing = Object.hasOwn(target, key) ? target[key] : undefined;
    if (existing && isObject(value) && typeof existing === 'object') {
      deepMerge(existing as Json, value);
    } else if (Array.isArray(value) && Array.isArray(existing) && value.length === existing.length) {
      for (let index = 0; index < value.length; index++) {
        const element = value[index];
        if (isObject(existing[index]) && isObject(element)) deepMerge(existing[index] as Json, element);
        else existing[index] = element;
      }
    } else {
      target[key] = value;
    }
  }
}

/** The planner's rewrites of a fetch's inputs or outputs (renamed keys, set `__typename`s). */
function applyRewrites(run: PlanRun, rewrites: FetchDataRewrite[] | undefined, value: Json): void {
  for (const rewrite of rewrites ?? []) {
    const parent = rewrite.path.slice(0, -1);
    const last = rewrite.path[rewrite.path.length - 1];
    if (last === undefined) continue;
    applyAt(run, parent, value, (object) => {
      if (rewrite.kind === 'ValueSetter') {
        object[last] = rewrite.setValueTo;
      } else if (Object.hasOwn(object, last) && object[last]) {
        object[rewrite.renameKeyTo] = object[last];
        object[last] = undefined;
      }
    });
  }
}

const FRAGMENT = '... on ';

function applyAt(run: PlanRun, path: string[], value: unknown, apply: (object: Json) => void): void {
  if (Array.isArray(value)) {
    for (const element of value) applyAt(run, path, element, apply);
    return;
  }
  if (!isObject(value)) return;
  const [head, ...rest] = path;
  if (head === undefined) {
    apply(value);
    return;
  }
  if (head.startsWith(FRAGMENT)) {
    // Without a __typename the rewrite applies (the planner expects it to).
    if (!value.__typename || run.isOfType(value.__typename, head.slice(FRAGMENT.length)))
      applyAt(run, rest, value, apply);
  } else {
    applyAt(run, rest, Object.hasOwn(value, head) ? value[head] : undefined, apply);
  }
}
