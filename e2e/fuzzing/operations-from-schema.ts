import fc from 'fast-check';
import {
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLOutputType,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
} from 'graphql';

/** Values that exist in the fuzzed supergraph, so that some requests reach past "not found". */
export interface KnownValues {
  /** Ids of every kind of record (a product's id also goes where an order's is expected). */
  ids: string[];
  /** Real strings: emails, SKUs, slugs, topics. */
  strings: string[];
  /** Cursors from every list and ordering, and forged ones. */
  cursors: string[];
}

/** One root field as an operation: a fixed document, and variables drawn for each of its arguments. */
export interface FuzzTarget {
  /** e.g. `mutation placeOrder`. */
  name: string;
  document: string;
  /** How many arguments (nested input fields included) the variables cover. */
  argumentCount: number;
  variables: fc.Arbitrary<Record<string, unknown>>;
}

const UNKNOWN_ID = '6f1c2a4e-9b3d-4c5e-8f7a-1b2c3d4e5f60';

/** Awkward and hostile strings: control characters, lone surrogates, LIKE wildcards, SQL, sizes. */
export const HOSTILE_STRINGS = [
  '',
  ' ',
  ' \t\n ',
  '\u0000',
  'a\u0000b',
  '\u0001\u001f\u007f',
  '\u0008\u000b\u000c',
  '\ud800',
  'x\udc00y',
  '\u202eabc',
  '\ufeff',
  '%',
  '_',
  '%_%',
  '\\',
  '\\%',
  "'",
  '"; DROP TABLE products; --',
  "' OR '1'='1",
  '🛒🧾',
  'Ｆｕｌｌ ｗｉｄｔｈ',
  'x'.repeat(10_001),
  'é'.repeat(300),
  'null',
  '0',
  '-1',
  '2026-11-30T00:00:00Z',
];

const HOSTILE_IDS = [
  '',
  ' ',
  'nope',
  '!!',
  'zzz',
  '0',
  '123',
  '\u0000',
  `${UNKNOWN_ID}\u0000`,
  ` ${UNKNOWN_ID}`,
  UNKNOWN_ID.toUpperCase(),
  UNKNOWN_ID,
  '00000000-0000-0000-0000-000000000000',
  'x'.repeat(5_000),
  "1' OR '1'='1",
];

/** Ints at and around every boundary the API has (page sizes, quantities, 32-bit limits). */
const INTS = [0, 1, -1, 2, 20, 99, 100, 101, 1_000, 1_000_000, 2 ** 31 - 1, -(2 ** 31)];
/** Values GraphQL's Int cannot hold, and other types where an Int belongs: the router must refuse them. */
const NOT_INTS = [2 ** 31, -(2 ** 31) - 1, 1.5, '1', Number.MAX_SAFE_INTEGER];
const DATE_TIMES = [
  '2026-11-30T10:00:00Z',
  '1970-01-01T00:00:00Z',
  '9999-12-31T23:59:59Z',
  '',
  'yesterday',
  '2026-13-45T99:99:99Z',
];
/** Where a scalar belongs, something else entirely. */
const WRONG_SHAPES = [{}, [], true, 1.5, { id: UNKNOWN_ID }];

/**
 * How hostile a request is. `hostile`: every value from the awkward pools, so most requests stop at the first
 * check; `plausible`: values a real client sends (known ids, small numbers), so requests reach deep into the
 * services; `mixed`: plausible values with a hostile one here and there, the mistakes that slip past early
 * checks.
 */
export type Hostility = 'hostile' | 'plausible' | 'mixed';

/** `undefined` means "leave the variable out" (the argument's default, or absent). */
type Drawn = unknown;

function hostileScalar(type: GraphQLNamedType, argumentName: string, known: KnownValues): fc.Arbitrary<Drawn> {
  const strings = fc.oneof(
    fc.constantFrom(...HOSTILE_STRINGS),
    fc.constantFrom(...known.strings),
    fc.constantFrom(...known.cursors),
    fc.string({ unit: 'binary', maxLength: 24 }),
    fc.string({ maxLength: 16 }),
  );
  const wrongShape = { weight: 1, arbitrary: fc.constantFrom(...WRONG_SHAPES) };
  switch (type.name) {
    case 'ID':
      return fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...known.ids) },
        { weight: 4, arbitrary: fc.constantFrom(...HOSTILE_IDS) },
        { weight: 1, arbitrary: fc.uuid() },
        wrongShape,
      );
    case 'String':
      // Cursors go where cursors belong more often than anywhere else.
      return argumentName === 'after'
        ? fc.oneof(
            { weight: 6, arbitrary: fc.constantFrom(...known.cursors) },
            { weight: 3, arbitrary: strings },
            wrongShape,
          )
        : fc.oneof({ weight: 10, arbitrary: strings }, wrongShape);
    case 'Int':
      return fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom(...INTS) },
        { weight: 3, arbitrary: fc.integer() },
        { weight: 1, arbitrary: fc.constantFrom(...NOT_INTS) },
        wrongShape,
      );
    case 'Float':
      return fc.oneof(fc.double(), wrongShape);
    case 'Boolean':
      return fc.oneof({ weight: 10, arbitrary: fc.boolean() }, wrongShape);
    case 'DateTime':
      return fc.oneof(
        fc.constantFrom(...DATE_TIMES),
        fc.date().map((date) => date.toISOString()),
        strings,
      );
    default:
      return fc.oneof(strings, wrongShape);
  }
}

function plausibleScalar(type: GraphQLNamedType, argumentName: string, known: KnownValues): fc.Arbitrary<Drawn> {
  switch (type.name) {
    case 'ID':
      return fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...known.ids) }, { weight: 1, arbitrary: fc.uuid() });
    case 'String':
      return argumentName === 'after'
        ? fc.constantFrom(...known.cursors)
        : fc.oneof(
            fc.constantFrom(...known.strings),
            fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 12 }),
            fc.constantFrom('Mug', 'shipping', 'A Fuzzed Name', 'FUZZ-SKU-1', 'EUR', 'fuzz@shop.test'),
          );
    case 'Int':
      return fc.constantFrom(0, 1, 2, 3, 5, 10, 20, 100, 1999);
    case 'Float':
      return fc.double({ min: 0, max: 100, noNaN: true });
    case 'Boolean':
      return fc.boolean();
    case 'DateTime':
      return fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01') }).map((date) => date.toISOString());
    default:
      return fc.string({ maxLength: 12 });
  }
}

interface Draw {
  known: KnownValues;
  hostility: Hostility;
}

function scalarValue(type: GraphQLNamedType, name: string, draw: Draw): fc.Arbitrary<Drawn> {
  if (draw.hostility === 'hostile') return hostileScalar(type, name, draw.known);
  if (draw.hostility === 'plausible') return plausibleScalar(type, name, draw.known);
  return fc.oneof(
    { weight: 6, arbitrary: plausibleScalar(type, name, draw.known) },
    { weight: 1, arbitrary: hostileScalar(type, name, draw.known) },
  );
}

/** A value for an input type: mostly well-typed, sometimes null where null is not allowed, or left out. */
function inputValue(type: GraphQLInputType, name: string, draw: Draw): fc.Arbitrary<Drawn> {
  const calm = draw.hostility === 'plausible';
  if (isNonNullType(type)) {
    const value = inputValue(type.ofType, name, draw);
    return calm ? value : fc.oneof({ weight: 12, arbitrary: value }, { weight: 1, arbitrary: fc.constant(null) });
  }
  if (isListType(type)) {
    const item = inputValue(type.ofType, name, draw);
    if (calm) return fc.array(item, { minLength: 1, maxLength: 3 });
    return fc.oneof(
      { weight: 6, arbitrary: fc.array(item, { maxLength: 3 }) },
      { weight: 1, arbitrary: item.map((value) => Array.from({ length: 150 }, () => value)) },
      { weight: 1, arbitrary: item }, // a single value where a list belongs: GraphQL wraps it
    );
  }
  if (isInputObjectType(type)) {
    const fields = Object.values(type.getFields());
    const record = fc.record(
      Object.fromEntries(fields.map((field) => [field.name, optional(field.type, field.name, draw)])),
    );
    return record.map((value) => withoutUndefined(value));
  }
  if (isEnumType(type)) {
    const values = fc.constantFrom(...type.getValues().map((value) => value.name));
    if (calm) return values;
    return fc.oneof(
      { weight: 10, arbitrary: values },
      { weight: 1, arbitrary: fc.constantFrom('NOT_A_VALUE', 'newest', '') },
    );
  }
  return scalarValue(type, name, draw);
}

/** An argument or input field: its value, or null, or left out (which a required one refuses). */
function optional(type: GraphQLInputType, name: string, draw: Draw) {
  const value = inputValue(isNonNullType(type) ? type.ofType : type, name, draw);
  if (draw.hostility === 'plausible') {
    return isNonNullType(type)
      ? value
      : fc.oneof({ weight: 3, arbitrary: value }, { weight: 1, arbitrary: fc.constant(undefined) });
  }
  return isNonNullType(type)
    ? fc.oneof({ weight: 14, arbitrary: value }, { weight: 1, arbitrary: fc.constant(undefined) })
    : fc.oneof(
        { weight: 6, arbitrary: value },
        { weight: 2, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: fc.constant(null) },
      );
}

/** The fields of an input type, nested ones included. */
function inputFieldCount(type: GraphQLInputType): number {
  const named = getNamedType(type);
  if (!isInputObjectType(named)) return 0;
  return Object.values(named.getFields()).reduce((sum, field) => sum + 1 + inputFieldCount(field.type), 0);
}

function withoutUndefined(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined));
}

interface Variable {
  name: string;
  type: GraphQLInputType;
  argumentName: string;
}

/** The deepest selection, in object levels; deep enough to reach nested connections' arguments. */
const MAX_LEVELS = 5;

/**
 * Selects every field of `type` a client could, down MAX_LEVELS object levels, never entering a type already on
 * the path (so no cycles); every argument of a nested field becomes a variable too.
 */
function selectionOf(type: GraphQLOutputType, path: string[], onPath: Set<string>, variables: Variable[]): string {
  const named = getNamedType(type);
  if (isLeafType(named)) return '';
  if (!isObjectType(named)) return '{ __typename }';
  const fields: string[] = ['__typename'];
  for (const field of Object.values((named as GraphQLObjectType).getFields())) {
    const fieldType = getNamedType(field.type);
    if (isLeafType(fieldType)) {
      if (field.args.every((argument) => !isNonNullType(argument.type))) fields.push(field.name);
      continue;
    }
    if (path.length >= MAX_LEVELS || onPath.has(fieldType.name)) continue;
    const args = argumentsOf(field, [...path, field.name], variables);
    const inner = selectionOf(field.type, [...path, field.name], new Set([...onPath, fieldType.name]), variables);
    fields.push(`${field.name}${args} ${inner}`);
  }
  return `{ ${fields.join(' ')} }`;
}

function argumentsOf(field: GraphQLField<unknown, unknown>, path: string[], variables: Variable[]): string {
  if (field.args.length === 0) return '';
  const passed = field.args.map((argument: GraphQLArgument) => {
    const name = `${path.join('_')}_${argument.name}`;
    variables.push({ name, type: argument.type, argumentName: argument.name });
    return `${argument.name}: $${name}`;
  });
  return `(${passed.join(', ')})`;
}

/** Every root field of the schema's query and mutation types, each with a fuzzed-variables arbitrary. */
export function fuzzTargets(
  schema: {
    getQueryType(): GraphQLObjectType | null | undefined;
    getMutationType(): GraphQLObjectType | null | undefined;
  },
  known: KnownValues,
): FuzzTarget[] {
  const targets: FuzzTarget[] = [];
  for (const [kind, root] of [
    ['query', schema.getQueryType()],
    ['mutation', schema.getMutationType()],
  ] as const) {
    for (const field of Object.values(root?.getFields() ?? {})) {
      if (field.name.startsWith('_')) continue; // federation's _entities and _service: the router's business
      const variables: Variable[] = [];
      const args = argumentsOf(field, [field.name], variables);
      const selection = selectionOf(field.type, [field.name], new Set([getNamedType(field.type).name]), variables);
      const declared = variables.map((variable) => `$${variable.name}: ${variable.type}`).join(', ');
      const drawn = (hostility: Hostility) =>
        fc
          .record(
            Object.fromEntries(
              variables.map((variable) => [
                variable.name,
                optional(variable.type, variable.argumentName, { known, hostility }),
              ]),
            ),
          )
          .map((value) => withoutUndefined(value));
      targets.push({
        name: `${kind} ${field.name}`,
        document: `${kind} Fuzz${declared ? `(${declared})` : ''} { ${field.name}${args} ${selection} }`,
        argumentCount: variables.reduce((sum, variable) => sum + 1 + inputFieldCount(variable.type), 0),
        variables: fc.oneof(drawn('hostile'), drawn('plausible'), drawn('mixed')),
      });
    }
  }
  return targets;
}
