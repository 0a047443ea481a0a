import type { DeferredNode, ResponsePath } from '@apollo/query-planner';
import { Repeater } from '@repeaterjs/repeater';
import {
  type ArgumentNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLError,
  type GraphQLSchema,
  getNamedType,
  isCompositeType,
  Kind,
  type OperationDefinitionNode,
  parse,
  type SelectionSetNode,
  type StringValueNode,
  visit,
} from 'graphql';
import { deepMerge, executeDeferred, type PlanRun, type QueuedDeferred } from './execute-plan.js';
import { type Conditional, compileShaper, conditionsOf, type IncompleteValue, type Shaper, skipped } from './shape.js';

/**
 * `@defer` answered incrementally (the format Apollo Client and Apollo Router speak, `deferSpec=20220824`):
 * the first payload is sent once the plan's primary parts are done; each deferred part the planner made
 * (a Defer node's `deferred`) then runs, and is sent as soon as its own fetches are done, as one entry per
 * place the deferred fragment stands in the answer (each element of a list). A deferred part's own Defer
 * nodes queue their parts for after it. Errors of a part's fetches go in its entries.
 */

type Json = Record<string, unknown>;

export interface IncrementalEntry {
  data: Json | null;
  path: ResponsePath;
  label?: string;
  errors?: GraphQLError[];
  /** Values that could not be completed (`valueCompletion`), as in a whole answer's extensions. */
  extensions?: { valueCompletion: IncompleteValue[] };
}

/** A payload after the first: what a deferred part adds, and whether more follow. */
export interface LaterPayload {
  incremental?: IncrementalEntry[];
  /** Errors of a part that ended up nowhere in the answer (its place was null). */
  errors?: GraphQLError[];
  hasNext: boolean;
}

/** One deferred part's payload: its selections on the type at its path, and when it is left out. */
export interface DeferredSelection {
  shaper: Shaper | null;
  /** The `@skip`/`@include` of every field and fragment from the root to the deferred fragment. */
  conditions: Conditional[];
  /** The label the client gave; none when the router named the fragment. */
  label: string | undefined;
}

/** Labels the router gives unlabelled deferred fragments, to find each one's place in the operation. */
const ROUTER_LABEL = 'router:';

/**
 * Prepares an operation that defers fragments: its document with every `@defer` labelled (the planner's
 * deferred parts carry the label, so each is traced back to its fragment), and, compiled once per plan node,
 * how each deferred part is shaped and when it is left out: a fragment under a field that `@skip`/`@include`
 * leave out is planned anyway, with nothing fetched for it.
 */
export function prepareDeferred(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode) {
  let count = 0;
  const labelled = visit(document, {
    Directive(directive) {
      if (directive.name.value !== 'defer' || directive.arguments?.some((argument) => argument.name.value === 'label'))
        return undefined;
      const value: StringValueNode = { kind: Kind.STRING, value: `${ROUTER_LABEL}${count++}` };
      const label: ArgumentNode = { kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: 'label' }, value };
      return { ...directive, arguments: [...(directive.arguments ?? []), label] };
    },
  });
  const labelledOperation = labelled.definitions.find(
    (definition): definition is OperationDefinitionNode =>
      definition.kind === Kind.OPERATION_DEFINITION && definition.name?.value === operation.name?.value,
  ) as OperationDefinitionNode;
  const conditionsAt = deferConditions(labelled, labelledOperation);
  const compiled = new WeakMap<DeferredNode, DeferredSelection>();
  const selectionOf = (node: DeferredNode): DeferredSelection => {
    let selection = compiled.get(node);
    if (!selection) {
      // A part whose fragment holds other deferred fragments is itself a Defer node: its primary part is this one's.
      const text = node.subselection ?? (node.node?.kind === 'Defer' ? node.node.primary.subselection : undefined);
      const parentType = typeAtPath(schema, labelled, labelledOperation, node.queryPath);
      const part = text ? (parse(`query ${text}`).definitions[0] as OperationDefinitionNode) : null;
      const fieldPath = node.queryPath.filter((step) => !step.startsWith('... on ')).join('.');
      selection = {
        shaper: part ? compileShaper(schema, labelled, part, parentType) : null,
        conditions: conditionsAt.get(`${node.label}\n${fieldPath}`) ?? [],
        label: node.label?.startsWith(ROUTER_LABEL) ? undefined : node.label,
      };
      compiled.set(node, selection);
    }
    return selection;
  };
  return { document: labelled, selectionOf };
}

/** Per deferred fragment (its label and the response names of its path), the conditions on the way to it. */
function deferConditions(document: DocumentNode, operation: OperationDefinitionNode): Map<string, Conditional[]> {
  const fragments = fragmentsOf(document);
  const found = new Map<string, Conditional[]>();
  const walk = (selectionSet: SelectionSetNode, path: string[], conditions: Conditional[]) => {
    for (const selection of selectionSet.selections) {
      const own = [...conditions, conditionsOf(selection.directives ?? [])];
      if (selection.kind === Kind.FIELD) {
        if (selection.selectionSet)
          walk(selection.selectionSet, [...path, (selection.alias ?? selection.name).value], own);
        continue;
      }
      const fragment = selection.kind === Kind.FRAGMENT_SPREAD ? fragments.get(selection.name.value) : selection;
      const defer = selection.directives?.find((directive) => directive.name.value === 'defer');
      const label = defer?.arguments?.find((argument) => argument.name.value === 'label')?.value;
      if (label?.kind === Kind.STRING) found.set(`${label.value}\n${path.join('.')}`, own);
      if (fragment) walk(fragment.selectionSet, path, own);
    }
  };
  walk(operation.selectionSet, [], []);
  return found;
}

export interface DeferredDelivery {
  /** The parts the first payload's plan left queued. */
  queued: QueuedDeferred[];
  /** The request's plan run: each part runs with it, with errors and queue of its own. */
  run: PlanRun;
  /** What the fetches gathered (deferred parts merge theirs in). */
  gathered: Json;
  /** A copy of the data the client has been sent (each payload's is merged in): where later parts go. */
  delivered: Json | null;
  variables: Json;
  selectionOf: (node: DeferredNode) => DeferredSelection;
  isOfType: (typename: unknown, condition: string) => boolean;
}

/**
 * Runs the queued deferred parts once the first payload is sent (when the answer is first read); answers their
 * payloads as they are ready, the last with `hasNext: false`.
 */
export function deliverDeferred(delivery: DeferredDelivery): AsyncIterable<LaterPayload> {
  return new Repeater<LaterPayload>((push, stop) => {
    let pending = delivery.queued.length;

    async function runPart(queued: QueuedDeferred): Promise<void> {
      const errors: (GraphQLError | Error)[] = [];
      const deferred: QueuedDeferred[] = [];
      try {
        await executeDeferred({ ...delivery.run, errors, deferred, stale: [] }, queued);
      } catch (error) {
        errors.push(error as Error);
      }
      const { shaper, conditions, label } = delivery.selectionOf(queued.node);
      const entries: IncrementalEntry[] = [];
      const included = !conditions.some((condition) => skipped(condition, delivery.variables));
      for (const { path, input } of included ? placesOf(delivery, queued.node.queryPath) : []) {
        const shaped = shaper
          ? shaper.shape(input, delivery.variables, null, { at: path, leaveOutDeferred: true })
          : { data: {}, incomplete: [] };
        const data = shaped.data ?? null;
        entries.push({
          data,
          path,
          ...(label ? { label } : {}),
          ...(shaped.incomplete.length > 0 ? { extensions: { valueCompletion: shaped.incomplete } } : {}),
        });
        if (data) deepMerge(valueAt(delivery.delivered, path) as Json, structuredClone(data));
      }
      const unplaced = placeErrors(entries, errors as GraphQLError[]);
      // As in a whole answer: values that could not be completed are reported where no error explains them.
      for (const entry of entries) if (entry.errors) delete entry.extensions;
      pending += deferred.length - 1;
      if (entries.length > 0 || unplaced.length > 0 || pending === 0) {
        void push({
          ...(entries.length > 0 ? { incremental: entries } : {}),
          ...(unplaced.length > 0 ? { errors: unplaced } : {}),
          hasNext: pending > 0,
        });
      }
      if (pending === 0) stop();
      for (const next of deferred) void runPart(next);
    }

    for (const queued of delivery.queued) void runPart(queued);
  });
}

/**
 * Where a deferred fragment stands in the answer the client has: each non-null object at its query path (each
 * element of a list on the way, and at the end), of the path's type conditions, with the gathered data there.
 */
function placesOf({ delivered, gathered, isOfType }: DeferredDelivery, queryPath: string[]) {
  const places: { path: ResponsePath; input: Json }[] = [];
  const walk = (path: ResponsePath, shown: unknown, input: unknown, rest: string[]): void => {
    if (shown === null || typeof shown !== 'object' || input === null || typeof input !== 'object') return;
    if (Array.isArray(shown)) {
      for (const [index, element] of shown.entries())
        walk([...path, index], element, (input as unknown[])[index], rest);
      return;
    }
    const [head, ...tail] = rest;
    if (head === undefined) {
      places.push({ path, input: input as Json });
    } else if (head.startsWith('... on ')) {
      const typename = (input as Json).__typename;
      if (typename === undefined || isOfType(typename, head.slice('... on '.length))) walk(path, shown, input, tail);
    } else {
      walk([...path, head], (shown as Json)[head], (input as Json)[head], tail);
    }
  };
  walk([], delivered, gathered, queryPath);
  return places;
}

/** Each error goes in the entry whose path it is under (else the first): answers those that fit in none. */
function placeErrors(entries: IncrementalEntry[], errors: GraphQLError[]): GraphQLError[] {
  const unplaced: GraphQLError[] = [];
  for (const error of errors) {
    const entry =
      entries.find((candidate) => candidate.path.every((key, index) => error.path?.[index] === key)) ?? entries[0];
    if (!entry) unplaced.push(error);
    else entry.errors = [...(entry.errors ?? []), error];
  }
  return unplaced;
}

function valueAt(data: unknown, path: ResponsePath): unknown {
  let value = data;
  for (const key of path) value = (value as Record<string | number, unknown>)[key];
  return value;
}

/**
 * The composite type at a deferred fragment's query path (response names and `... on Type` steps), from the
 * operation's selections: a response name may be an alias, and its field may stand in a fragment on a subtype.
 */
function typeAtPath(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  queryPath: string[],
): GraphQLCompositeType {
  const fragments = fragmentsOf(document);
  let type = schema.getRootType(operation.operation) as GraphQLCompositeType;
  let selectionSets: SelectionSetNode[] = [operation.selectionSet];
  for (const step of queryPath) {
    if (step.startsWith('... on ')) {
      type = schema.getType(step.slice('... on '.length)) as GraphQLCompositeType;
      continue;
    }
    const found: { field: FieldNode; parent: GraphQLCompositeType }[] = [];
    const search = (selectionSet: SelectionSetNode, parent: GraphQLCompositeType) => {
      for (const selection of selectionSet.selections) {
        if (selection.kind === Kind.FIELD) {
          if ((selection.alias ?? selection.name).value === step) found.push({ field: selection, parent });
          continue;
        }
        const fragment = selection.kind === Kind.FRAGMENT_SPREAD ? fragments.get(selection.name.value) : selection;
        if (!fragment) continue;
        const condition = fragment.typeCondition ? schema.getType(fragment.typeCondition.name.value) : undefined;
        search(fragment.selectionSet, condition && isCompositeType(condition) ? condition : parent);
      }
    };
    for (const selectionSet of selectionSets) search(selectionSet, type);
    const first = found[0];
    const definition = first && 'getFields' in first.parent ? first.parent.getFields()[first.field.name.value] : null;
    const named = definition ? getNamedType(definition.type) : null;
    if (!named || !isCompositeType(named)) throw new Error(`no object at the deferred path ${queryPath.join('.')}`);
    type = named;
    selectionSets = found.flatMap(({ field }) => (field.selectionSet ? [field.selectionSet] : []));
  }
  return type;
}

function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  return fragments;
}
