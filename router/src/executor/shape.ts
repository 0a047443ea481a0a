import {
  type DirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLLeafType,
  type GraphQLOutputType,
  type GraphQLSchema,
  GraphQLString,
  getNamedType,
  isAbstractType,
  isCompositeType,
  isEnumType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

/**
 * Response shaping: the data the plan's fetches gathered (with keys, `__typename`s and fields the client did not
 * ask for, in fetch order) becomes the client's answer: exactly the selected fields, in the operation's order,
 * `__typename` filled in, values checked against the API schema, and a null where a field that cannot be null
 * has no value bubbled up to the nearest nullable parent. The rules are Apollo Gateway's (`computeResponse`), so
 * both executors give the same answers; the work per request is not: the operation's selections are resolved
 * against the schema once (fields, types, fragment conditions, directives) into the steps below.
 */

/** `@skip`/`@include` of one selection: a literal, or the name of a Boolean variable. */
type Flag = boolean | string;

export interface Conditional {
  skip?: Flag;
  include?: Flag;
}

interface FieldStep extends Conditional {
  kind: 'field';
  responseName: string;
  role: 'typename' | 'introspection' | 'value';
  type: GraphQLOutputType;
  selections?: Step[];
}

interface FragmentStep extends Conditional {
  kind: 'fragment';
  /** `@defer`: deferred when this is true (a literal, or a Boolean variable's name). */
  defer?: Flag;
  /** The type condition, and every type it applies to (itself, its members or implementations); none: always. */
  condition?: { type: GraphQLCompositeType; appliesTo: Set<string> };
  selections: Step[];
}

type Step = FieldStep | FragmentStep;

/** A value that could not be completed: Apollo's `valueCompletion` entries, turned into errors by the error policy. */
export interface IncompleteValue {
  message: string;
  path: (string | number)[];
}

type Json = Record<string, unknown>;
type ResponsePath = (string | number)[];

export interface Shaper {
  /** The root fields answered by introspection, not by subgraphs (`__schema`, `__type`). */
  introspectionFields: FieldNode[];
  /** Whether the operation defers any fragment (`@defer`, whatever its `if`). */
  defers: boolean;
  shape(
    input: Json | null | undefined,
    variables: Json,
    introspected: Json | null,
    options?: ShapeOptions,
  ): ShapedAnswer;
}

export interface ShapeOptions {
  /** Where the input is in the whole answer (for the paths of incomplete values); default the root. */
  at?: ResponsePath;
  /** Leaves out the fragments deferred with these variables: the first payload of an incremental answer. */
  leaveOutDeferred?: boolean;
}

export interface ShapedAnswer {
  data: Json | null | undefined;
  incomplete: IncompleteValue[];
}

/**
 * Compiles one operation (already validated against `schema`, the API schema) into its shaping steps; with
 * `parentType`, its selections are shaped as the selections of an object of that type (a deferred part).
 */
export function compileShaper(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  parentType?: GraphQLCompositeType,
): Shaper {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const rootType = parentType ?? schema.getRootType(operation.operation);
  if (!rootType) throw new Error(`the schema has no ${operation.operation} type`);
  const subtypesOf = new Map<string, Set<string>>();
  const appliesTo = (type: GraphQLCompositeType) => {
    let names = subtypesOf.get(type.name);
    if (!names) {
      names = new Set([type.name]);
      if (isAbstractType(type)) {
        for (const member of schema.getPossibleTypes(type)) names.add(member.name);
        if (isInterfaceType(type)) for (const sub of schema.getImplementations(type).interfaces) names.add(sub.name);
      }
      subtypesOf.set(type.name, names);
    }
    return names;
  };

  const introspectionFields: FieldNode[] = [];
  let defers = false;
  const compile = (selectionSet: SelectionSetNode, parentType: GraphQLCompositeType, root: boolean): Step[] =>
    selectionSet.selections.map((selection): Step => {
      const flags = conditionsOf(selection.directives ?? []);
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        const responseName = selection.alias?.value ?? name;
        if (name === '__typename')
          return { kind: 'field', responseName, role: 'typename', type: GraphQLString, ...flags };
        if (name === '__schema' || name === '__type') {
          if (root) introspectionFields.push(selection);
          return { kind: 'field', responseName, role: 'introspection', type: GraphQLString, ...flags };
        }
        const definition = 'getFields' in parentType ? parentType.getFields()[name] : undefined;
        if (!definition) throw new Error(`${parentType.name}.${name} is not in the schema`);
        const named = getNamedType(definition.type);
        return {
          kind: 'field',
          responseName,
          role: 'value',
          type: definition.type,
          ...(selection.selectionSet && isCompositeType(named)
            ? { selections: compile(selection.selectionSet, named, false) }
            : {}),
          ...flags,
        };
      }
      const fragment = selection.kind === Kind.FRAGMENT_SPREAD ? fragments.get(selection.name.value) : selection;
      if (!fragment) throw new Error('a fragment spread names no fragment of the document');
      const conditionName = fragment.typeCondition?.name.value;
      const named = conditionName ? schema.getType(conditionName) : undefined;
      if (conditionName && !isCompositeType(named)) throw new Error(`a fragment on ${conditionName}, not an API type`);
      const conditionType = named as GraphQLCompositeType | undefined;
      const condition = conditionType ? { type: conditionType, appliesTo: appliesTo(conditionType) } : undefined;
      const defer = deferFlagOf(selection.directives ?? []);
      if (defer !== undefined) defers = true;
      return {
        kind: 'fragment',
        ...(condition ? { condition } : {}),
        ...(defer !== undefined ? { defer } : {}),
        selections: compile(fragment.selectionSet, conditionType ?? parentType, root),
        ...flags,
      };
    });
  const steps = compile(operation.selectionSet, rootType, !parentType);
  const defaults = booleanDefaults(operation);

  return {
    introspectionFields,
    defers,
    shape(input, variables, introspected, { at = [], leaveOutDeferred = false } = {}) {
      if (!input) return { data: input, incomplete: [] };
      const run: Run = {
        schema,
        variables: { ...defaults, ...variables },
        incomplete: [],
        introspected,
        leaveOutDeferred,
      };
      const data: Json = Object.create(null);
      const bubbled = applySelections(run, input, steps, data, [...at], rootType);
      return { data: bubbled ? null : data, incomplete: run.incomplete };
    },
  };
}

interface Run {
  schema: GraphQLSchema;
  variables: Json;
  incomplete: IncompleteValue[];
  introspected: Json | null;
  leaveOutDeferred: boolean;
}

type DirectiveNodes = readonly DirectiveNode[];

/** The `if` of a directive: a literal, or the name of a Boolean variable; undefined when it has none. */
function ifOf(directive: DirectiveNode): Flag | undefined {
  const argument = directive.arguments?.find((candidate) => candidate.name.value === 'if');
  if (!argument) return undefined;
  return argument.value.kind === Kind.VARIABLE
    ? argument.value.name.value
    : argument.value.kind === Kind.BOOLEAN && argument.value.value;
}

export function conditionsOf(directives: DirectiveNodes) {
  const flags: Conditional = {};
  for (const directive of directives) {
    const name = directive.name.value;
    if (name !== 'skip' && name !== 'include') continue;
    const flag = ifOf(directive);
    if (flag !== undefined) flags[name] = flag;
  }
  return flags;
}

/** A fragment's `@defer`: undefined when it has none; else when it defers (its `if`, true by default). */
function deferFlagOf(directives: DirectiveNodes): Flag | undefined {
  const directive = directives.find((candidate) => candidate.name.value === 'defer');
  return directive ? (ifOf(directive) ?? true) : undefined;
}

/** The operation's Boolean variable defaults: what `@skip`/`@include` (and the plan's conditions) use when unset. */
export function booleanDefaults(operation: OperationDefinitionNode): Json {
  const defaults: Json = {};
  for (const definition of operation.variableDefinitions ?? []) {
    if (definition.defaultValue?.kind === Kind.BOOLEAN) {
      defaults[definition.variable.name.value] = definition.defaultValue.value;
    }
  }
  return defaults;
}

const flagValue = (flag: Flag, variables: Json) => (typeof flag === 'boolean' ? flag : variables[flag] === true);

export function skipped(step: Conditional, variables: Json): boolean {
  return (
    (step.skip !== undefined && flagValue(step.skip, variables)) ||
    (step.include !== undefined && !flagValue(step.include, variables))
  );
}

const own = (object: Json, key: string): unknown => (Object.hasOwn(object, key) ? object[key] : undefined);

/** Applies `steps` to `input` into `output`; true when a null must bubble up past this object. */
function applySelections(
  run: Run,
  input: Json,
  steps: Step[],
  output: Json,
  path: (string | number)[],
  parentType: GraphQLCompositeType,
): boolean {
  for (const step of steps) {
    if ((step.skip !== undefined || step.include !== undefined) && skipped(step, run.variables)) continue;
    if (step.kind === 'fragment') {
      if (run.leaveOutDeferred && step.defer !== undefined && flagValue(step.defer, run.variables)) continue;
      const typename = input.__typename;
      const condition = step.condition;
      const applies = !condition
        ? true
        : typeof typename === 'string' && typename !== ''
          ? run.schema.getType(typename) !== undefined && condition.appliesTo.has(typename)
          : condition.appliesTo.has(parentType.name);
      if (applies && applySelections(run, input, step.selections, output, path, condition?.type ?? parentType)) {
        return true;
      }
      continue;
    }
    const { responseName } = step;
    const outputValue = output[responseName];
    if (step.role === 'introspection') {
      if (outputValue === undefined) output[responseName] = run.introspected?.[responseName] ?? null;
      continue;
    }
    let inputValue = own(input, responseName) ?? null;
    if (step.role === 'typename') {
      if (outputValue !== undefined) continue;
      if (inputValue === null && responseName !== '__typename') inputValue = input.__typename ?? null;
      const type = typeof inputValue === 'string' ? (run.schema.getType(inputValue) ?? parentType) : parentType;
      if (!isObjectType(type)) return true;
      output[responseName] = type.name;
      continue;
    }
    path.push(responseName);
    const completed = complete(run, outputValue, step.type, inputValue, step.selections, path, parentType);
    output[responseName] = completed.value;
    path.pop();
    if (completed.invalid) return true;
  }
  return false;
}

interface Completed {
  value: unknown;
  /** A null where the type cannot have one: bubbles up. */
  invalid?: boolean;
  /** An incomplete value has already been reported for this value. */
  reported?: boolean;
}

function complete(
  run: Run,
  outputValue: unknown,
  type: GraphQLOutputType,
  inputValue: unknown,
  selections: Step[] | undefined,
  path: (string | number)[],
  parentType: GraphQLCompositeType,
): Completed {
  // Already completed by an earlier selection of the same response name: only composites have more to add.
  if (outputValue === null || (outputValue !== undefined && !selections)) return { value: outputValue };

  if (isNonNullType(type)) {
    const inner = complete(run, outputValue, type.ofType, inputValue, selections, path, parentType);
    if (inner.value !== null) return { value: inner.value };
    if (!inner.reported) {
      run.incomplete.push({
        message: `Cannot return null for non-nullable ${describe(path, type.ofType, parentType)}.`,
        path: [...path],
      });
    }
    return { value: null, invalid: true, reported: true };
  }
  if (inputValue === null) return { value: null };

  if (isListType(type)) {
    if (!Array.isArray(inputValue)) throw new Error(`a subgraph answered a non-list value for list type ${type}`);
    const outputList = (outputValue as unknown[] | undefined) ?? new Array(inputValue.length).fill(undefined);
    if (outputList.length !== inputValue.length) throw new Error(`list lengths differ at ${path.join('.')}`);
    let nullify = false;
    let reported = false;
    for (let index = 0; index < inputValue.length; index++) {
      path.push(index);
      const element = complete(run, outputList[index], type.ofType, inputValue[index], selections, path, parentType);
      path.pop();
      nullify ||= element.invalid === true;
      reported ||= element.reported === true;
      outputList[index] = element.value;
    }
    return { value: nullify ? null : outputList, reported };
  }

  if (isCompositeType(type)) {
    if (typeof inputValue !== 'object' || !selections) {
      throw new Error(`a subgraph answered a non-object value for composite type ${type}`);
    }
    const input = inputValue as Json;
    const typename = input.__typename;
    let objectType: GraphQLCompositeType = type;
    if (typeof typename === 'string' && typename !== '') {
      const named = run.schema.getType(typename);
      if (!named || !isCompositeType(named)) {
        // The API schema does not have it (e.g. @inaccessible): its name must not reach the client.
        run.incomplete.push({
          message: `Invalid __typename found for object at ${describe(path, type, parentType)}.`,
          path: [...path],
        });
        return { value: null, reported: true };
      }
      objectType = named;
    }
    const output = (outputValue as Json | undefined) ?? Object.create(null);
    const bubbled = applySelections(run, input, selections, output, path, objectType);
    return bubbled ? { value: null, reported: true } : { value: output };
  }

  if (isValidLeaf(inputValue, type)) return { value: inputValue };
  run.incomplete.push({ message: `Invalid value found for ${describe(path, type, parentType)}.`, path: [...path] });
  return { value: null, reported: true };
}

function describe(path: (string | number)[], type: GraphQLOutputType, parentType: GraphQLCompositeType): string {
  const last = path[path.length - 1];
  return typeof last === 'string'
    ? `field ${parentType.name}.${last}`
    : `array element of type ${String(type)} at index ${last}`;
}

const INTEGER = /^-?(?:0|[1-9][0-9]*)$/;

/** Whether a subgraph's leaf value is one the API schema allows (an enum value it hides is not). */
function isValidLeaf(value: unknown, type: GraphQLLeafType): boolean {
  if (isEnumType(type)) return typeof value === 'string' && type.getValue(value) !== undefined;
  if (!isSpecifiedName(type.name)) return true; // custom scalars: anything
  if (typeof value === 'boolean') return type.name === 'Boolean';
  if (typeof value === 'number' && Number.isFinite(value)) {
    if (type.name === 'Int' || type.name === 'ID') return INTEGER.test(String(value));
    return type.name === 'Float';
  }
  if (typeof value === 'string') return type.name !== 'Boolean' && type.name !== 'Int' && type.name !== 'Float';
  return false;
}

/** The built-in scalars by name: a schema built from SDL has its own instances of them. */
const isSpecifiedName = (name: string) =>
  name === 'Boolean' || name === 'Int' || name === 'Float' || name === 'String' || name === 'ID';
