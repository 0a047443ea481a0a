import {
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLSchema,
  getNamedType,
  isAbstractType,
  isCompositeType,
  isEnumType,
  isInterfaceType,
  isNonNullType,
  isObjectType,
  isScalarType,
} from 'graphql';

/**
 * Random read operations over the API schema, for comparing executors: root fields with arguments drawn from
 * real values, nested selections, aliases (also the same field twice under different names, and the same
 * response name twice merged), inline fragments and named fragments on concrete and abstract types,
 * `__typename` anywhere, `@skip`/`@include` with literals and with variables. Lists are kept short so that an
 * operation stays inside the router's cost and depth limits.
 */
export interface RandomOperation {
  document: string;
  variables: Record<string, unknown>;
}

export interface KnownValues {
  ids: string[];
  strings: string[];
}

/** A small seeded generator (mulberry32): the same seed gives the same operation. */
export function seeded(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    chance: (p: number) => next() < p,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T,
  };
}

const MAX_DEPTH = 4;

export function randomOperation(schema: GraphQLSchema, known: KnownValues, seed: number): RandomOperation {
  const random = seeded(seed);
  const variables: Record<string, unknown> = {};
  const variableDefinitions: string[] = [];
  const fragments = new Map<string, string>();
  let aliases = 0;

  const flag = (): string => {
    if (!random.chance(0.15)) return '';
    const directive = random.pick(['skip', 'include']);
    if (random.chance(0.5)) return ` @${directive}(if: ${random.pick(['true', 'false'])})`;
    const name = `flag${variableDefinitions.length}`;
    variableDefinitions.push(`$${name}: Boolean!`);
    variables[name] = random.chance(0.5);
    return ` @${directive}(if: $${name})`;
  };

  const argumentsOf = (field: GraphQLField<unknown, unknown>): string | null => {
    const parts: string[] = [];
    for (const argument of field.args) {
      const required = isNonNullType(argument.type) && argument.defaultValue === undefined;
      const type = getNamedType(argument.type);
      if (argument.name === 'first') {
        parts.push(`first: ${random.int(0, 3)}`);
        continue;
      }
      if (!required && !random.chance(0.3)) continue;
      if (type.name === 'ID') parts.push(`${argument.name}: ${JSON.stringify(random.pick(known.ids))}`);
      else if (type.name === 'String' && argument.name !== 'after') {
        parts.push(`${argument.name}: ${JSON.stringify(random.pick(known.strings))}`);
      } else if (isEnumType(type)) parts.push(`${argument.name}: ${random.pick(type.getValues()).name}`);
      else if (required) return null; // an input object or a cursor: left to other tests
    }
    return parts.length ? `(${parts.join(', ')})` : '';
  };

  const selectionSet = (type: GraphQLNamedType, depth: number): string => {
    const selections: string[] = [];
    if (random.chance(0.3)) selections.push(`${random.chance(0.3) ? 'typename_: ' : ''}__typename${flag()}`);
    if (isAbstractType(type)) {
      for (const member of schema.getPossibleTypes(type)) {
        if (random.chance(0.7)) selections.push(`... on ${member.name}${flag()} ${selectionSet(member, depth)}`);
      }
      if (isInterfaceType(type)) selections.push(...fieldsOf(type, depth));
    } else if (isObjectType(type)) {
      selections.push(...fieldsOf(type, depth));
      if (random.chance(0.2)) selections.push(`... on ${type.name}${flag()} { ${fieldsOf(type, depth).join(' ')} }`);
      if (random.chance(0.15)) selections.push(`...${fragmentOn(type, depth)}`);
      if (random.chance(0.1)) selections.push(`...${flag()} { __typename }`);
    }
    if (selections.length === 0) selections.push('__typename');
    return `{ ${selections.join(' ')} }`;
  };

  const fragmentOn = (type: GraphQLObjectType, depth: number) => {
    const name = `F${fragments.size}`;
    fragments.set(name, ''); // reserved before recursing, so nested fragments get other names
    fragments.set(name, `fragment ${name} on ${type.name} { ${fieldsOf(type, depth).join(' ')} }`);
    return name;
  };

  const fieldsOf = (type: GraphQLObjectType | GraphQLNamedType, depth: number): string[] => {
    if (!('getFields' in type)) return [];
    const fields = Object.values(type.getFields());
    const chosen: string[] = [];
    const count = random.int(1, Math.min(4, fields.length));
    for (let index = 0; index < count; index++) {
      const field = random.pick(fields);
      const named = getNamedType(field.type);
      if (isCompositeType(named) && depth >= MAX_DEPTH) continue;
      const args = argumentsOf(field);
      if (args === null) continue;
      const alias = aliases < 6 && random.chance(0.15) ? `a${aliases++}: ` : '';
      const inner = isCompositeType(named) ? ` ${selectionSet(named, depth + 1)}` : '';
      chosen.push(`${alias}${field.name}${args}${flag()}${inner}`);
      if (isScalarType(named) && random.chance(0.1)) chosen.push(`${alias}${field.name}${args}`); // merged twice
    }
    return chosen.length ? chosen : ['__typename'];
  };

  const query = schema.getQueryType();
  if (!query) throw new Error('the schema has no Query type');
  const roots = Object.values(query.getFields()).filter((field) => !field.name.startsWith('__'));
  const rootSelections: string[] = [];
  for (let index = random.int(1, 3); index > 0; index--) {
    const field = random.pick(roots);
    const args = argumentsOf(field);
    if (args === null) continue;
    const named = getNamedType(field.type);
    const inner = isCompositeType(named) ? ` ${selectionSet(named, 1)}` : '';
    rootSelections.push(`r${index}: ${field.name}${args}${flag()}${inner}`);
  }
  if (random.chance(0.1)) rootSelections.push('__typename');
  if (rootSelections.length === 0) rootSelections.push('__typename');
  const header = variableDefinitions.length ? `query Random(${variableDefinitions.join(', ')})` : 'query Random';
  return {
    document: [`${header} { ${rootSelections.join(' ')} }`, ...fragments.values()].join('\n'),
    variables,
  };
}
