import { createHash } from 'node:crypto';
import type {
  DeferredNode,
  FetchDataRewrite,
  FetchNode,
  PlanNode,
  QueryPlanSelectionNode,
  ResponsePath,
} from '@apollo/query-planner';
import { type Span, SpanStatusCode, trace } from '@opentelemetry/api';
import type { CacheReads } from '@shop/platform';
import { GraphQLError } from 'graphql';
import type { CacheHit, RequestCache } from '../cache/fetch-cache.js';
import type { SubgraphAnswer, SubgraphError } from './subgraph-client.js';

/**
 * Runs a query plan from Apollo's planner: Sequence, Parallel, Flatten, Fetch, Condition and Defer nodes, gathering
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
  /** The fetch cache (none for mutations: what a mutation's plan reads after it must be what it left). */
  cache: RequestCache | null;
  /** Parts served from the cache past their max-age because their subgraph was unreachable. */
  stale: { path: ResponsePath; ageSeconds: number }[];
  /**
   * Where Defer nodes leave their deferred parts, to be run once the payload they follow is sent
   * (incremental-delivery.ts); null: deferred parts run at once, into the same answer.
   */
  deferred: QueuedDeferred[] | null;
}

/** A deferred part of a plan, waiting for the payload it follows to be sent. */
export interface QueuedDeferred {
  node: DeferredNode;
  cursor: Cursor;
}

/** A fetch node with what every request needs of it computed once. */
export interface PreparedFetch {
  node: FetchNode;
  /** `{"query":…,"operationName":…,"variables":` — the body up to the variables. */
  bodyPrefix: string;
  mutation: boolean;
  /** Names the fetch's operation in cache keys. */
  cachePrefix: string;
}

/** Where a plan node works: its path in the answer, the data there, and the whole answer's data. */
export interface Cursor {
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
      cachePrefix: createHash('sha256').update(node.operation).digest('base64url').slice(0, 22),
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
    case 'Defer': {
      if (node.primary.node) await executeNode(run, node.primary.node, cursor);
      // Every fetch a deferred part depends on is in the primary part (or before it): done by now.
      if (run.deferred) {
        for (const deferred of node.deferred) run.deferred.push({ node: deferred, cursor });
        return;
      }
      await Promise.all(node.deferred.map((deferred) => deferred.node && executeNode(run, deferred.node, cursor)));
      return;
    }
  }
}

/** Runs a deferred part queued by a Defer node (its own Defer nodes queue theirs in `run.deferred`). */
export async function executeDeferred(run: PlanRun, queued: QueuedDeferred): Promise<void> {
  if (queued.node.node) await executeNode(run, queued.node.node, queued.cursor);
}

async function executeFetch(run: PlanRun, fetch: PreparedFetch, cursor: Cursor): Promise<void> {
  const { node } = fetch;
  const entities = Array.isArray(cursor.data) ? cursor.data.filter((entity) => entity != null) : [cursor.data];
  if (entities.length === 0) return;
  const variables = variablesFor(node, run.variables);

  if (!node.requires) {
    const variablesText = JSON.stringify(variables);
    const [data] = await fetchParts(run, fetch, cursor, fetch.cachePrefix, [variablesText], null, (parts) => ({
      body: `${fetch.bodyPrefix}${parts[0]}}`,
      received: (answer) => (answer.data ? [answer.data] : null),
    }));
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
  const others = JSON.stringify(variables).slice(1, -1); // the fetch's other variables, without their braces
  // The fetch's other variables (a field's arguments) are part of every entity's key.
  const keyPrefix = `${fetch.cachePrefix}\n${others}`;
  const received = await fetchParts(run, fetch, cursor, keyPrefix, [...distinct.keys()], representationOf, (parts) => ({
    body: `${fetch.bodyPrefix}{"representations":[${parts.join(',')}]${others ? `,${others}` : ''}}}`,
    received: (answer) => {
      if (!answer.data) return null;
      const list = answer.data._entities;
      if (!Array.isArray(list)) throw new Error('Expected "data._entities" in response to be an array');
      if (list.length !== parts.length)
        throw new Error(`Expected "data._entities" to contain ${parts.length} elements`);
      return list as (Json | null)[];
    },
  }));
  represented.forEach((entity, index) => {
    // A representation sent once for several entities is merged into each (later fetches merge into it alike).
    const value = received[representationOf[index] as number] ?? null;
    if (value && !value.__typename) value.__typename = entity.__typename;
    if (value) applyRewrites(run, node.outputRewrites, value);
    deepMerge(entity, value);
  });
}

/** How a fetch of some parts is sent, and which data answers each part. */
type Request = (parts: string[]) => { body: string; received: (answer: SubgraphAnswer) => (Json | null)[] | null };

/**
 * The data of each part of a fetch (a root fetch's variables, or an `_entities` fetch's representations): from
 * the cache where it holds them, from the subgraph for the rest (only those are sent); what the subgraph answers
 * without error is kept. When the subgraph is unreachable and the cache still holds every missing part, past
 * its max-age but within the stale-if-error allowance, those are served instead and reported in `stale`.
 */
async function fetchParts(
  run: PlanRun,
  fetch: PreparedFetch,
  cursor: Cursor,
  keyPrefix: string,
  parts: string[],
  representationOf: number[] | null,
  request: Request,
): Promise<(Json | null)[]> {
  const service = fetch.node.serviceName;
  const cache = fetch.mutation ? null : run.cache;
  const hits = cache ? await cache.lookup(service, keyPrefix, parts) : [];
  const data: (Json | null)[] = parts.map((_part, index) => (hits[index]?.fresh ? hits[index].data : null));
  const missing = parts.flatMap((_part, index) => (hits[index]?.fresh ? [] : [index]));
  if (missing.length === 0) return data;

  cache?.fetched(service, missing.length);
  const sent = missing.map((index) => parts[index] as string);
  const { body, received } = request(sent);
  const fetchedAt = Date.now();
  const answer = await run.send(fetch, body);
  const stale = missing.map((index) => hits[index]);
  if (cache && unreachable(answer) && stale.every((hit) => hit?.servableStale)) {
    for (const [position, index] of missing.entries()) {
      const hit = stale[position] as CacheHit;
      data[index] = hit.data;
      cache.servedStale(service);
      for (const path of partPaths(cursor, hit.data, index, representationOf)) {
        run.stale.push({ path, ageSeconds: Math.floor(hit.ageSeconds) });
      }
    }
    return data;
  }
  const errors = answer.errors ?? [];
  if (errors.length > 0) {
    const span = trace.getActiveSpan() as Span | undefined;
    span?.setStatus({ code: SpanStatusCode.ERROR });
    // An `_entities` index names the position in what was sent: back to the part it stands for.
    const renumbered = representationOf
      ? errors.map((error) =>
          typeof error.path?.[1] === 'number'
            ? {
                ...error,
                path: [error.path[0] as string, missing[error.path[1]] ?? error.path[1], ...error.path.slice(2)],
              }
            : error,
        )
      : errors;
    run.errors.push(...subgraphErrors(renumbered, fetch.node, cursor, representationOf));
  }
  const values = received(answer);
  if (!values) return data;
  const reads = answer.extensions?.cacheTags as CacheReads | undefined;
  // An error at an entity spoils that entity for the cache; any other error spoils the whole fetch.
  const spoiled = new Set<number>();
  let allSpoiled = false;
  for (const error of errors) {
    const at = representationOf ? error.path?.[1] : undefined;
    if (typeof at === 'number') spoiled.add(at);
    else allSpoiled = true;
  }
  const hint = answer.cacheHint;
  for (const [position, index] of missing.entries()) {
    const value = values[position] ?? null;
    data[index] = value;
    if (!cache || !hint || allSpoiled || value === null || spoiled.has(position)) continue;
    const tags = [...(reads?.fetch ?? []), ...(representationOf ? (reads?.entities?.[position] ?? []) : [])];
    cache.store(service, keyPrefix, parts[index] as string, value, tags, hint, fetchedAt);
  }
  return data;
}

/** The subgraph could not be reached: nothing but SERVICE_UNAVAILABLE came back (the subgraph client's answer). */
const unreachable = (answer: SubgraphAnswer) =>
  !answer.data &&
  !!answer.errors?.length &&
  answer.errors.every((error) => error.extensions?.code === 'SERVICE_UNAVAILABLE');

/** Where a part's data goes in the client's answer: its root fields, or the paths of the entities it stands for. */
function partPaths(cursor: Cursor, data: Json, part: number, representationOf: number[] | null): ResponsePath[] {
  if (!representationOf) return Object.keys(data).map((key) => [...cursor.path, key]);
  const paths: ResponsePath[] = [];
  hydratePaths([], cursor.path, cursor.root, paths);
  return paths.filter((_path, entity) => representationOf[entity] === part);
}

/** The request's values of the variables this fetch uses (undefined ones left out). */
export function variablesFor(node: FetchNode, provided: Json): Json {
  const variables: Json = {};
  for (const name of node.variableUsages ?? []) {
    if (Object.hasOwn(provided, name) && provided[name] !== undefined) variables[name] = provided[name];
  }
  return variables;
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

export function downstream(error: SubgraphError, serviceName: string, path: ResponsePath | undefined): GraphQLError {
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
export function deepMerge(target: Json, source: Json | null | undefined): void {
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
