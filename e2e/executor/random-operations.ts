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
import type { Supergraph } from '../harness/supergraph.js';

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

export interface RandomOperationOptions {
  /**
   * Adds fragments that may be deferred (`... { }` at random places) and, when true, `@defer` on some of them
   * and on other fragments (with a label, or `if` a variable, at times). The same seed with false and with true
   * gives the same operation, but for the `@defer`s.
   */
  defer?: boolean;
}

export function randomOperation(
  schema: GraphQLSchema,
  known: KnownValues,
  seed: number,
  { defer }: RandomOperationOptions = {},
): RandomOperation {
  const random = seeded(seed);
  // Its own stream: whether a fragment is deferred changes nothing else in the operation.
  const deferRandom = seeded(seed ^ 0x5eed);
  const deferSpots = defer !== undefined;
  let defers = 0;
  const deferred = (): string => {
    if (!defer || !deferRandom.chance(0.5)) return '';
    const index = defers++;
    const label = deferRandom.chance(0.5) ? `label: "d${index}"` : '';
    if (!deferRandom.chance(0.2)) return label ? ` @defer(${label})` : ' @defer';
    const name = `defer${index}`;
    variableDefinitions.push(`$${name}: Boolean!`);
    variables[name] = deferRandom.chance(0.7);
    return ` @defer(${label ? `${label}, ` : ''}if: $${name})`;
  };
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
        if (random.chance(0.7)) {
          selections.push(`... on ${member.name}${flag()}${deferred()} ${selectionSet(member, depth)}`);
        }
      }
      if (isInterfaceType(type)) selections.push(...fieldsOf(type, depth));
    } else if (isObjectType(type)) {
      selections.push(...fieldsOf(type, depth));
      if (random.chance(0.2)) {
        selections.push(`... on ${type.name}${flag()}${deferred()} { ${fieldsOf(type, depth).join(' ')} }`);
      }
      if (random.chance(0.15)) selections.push(`...${fragmentOn(type, depth)}${deferred()}`);
      if (deferSpots && random.chance(0.3)) selections.push(`...${deferred()} { ${fieldsOf(type, depth).join(' ')} }`);
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
    const selection = `r${index}: ${field.name}${args}${flag()}${inner}`;
    rootSelections.push(deferSpots && random.chance(0.3) ? `...${deferred()} { ${selection} }` : selection);
  }
  if (random.chance(0.1)) rootSelections.push('__typename');
  if (rootSelections.length === 0) rootSelections.push('__typename');
  const header = variableDefinitions.length ? `query Random(${variableDefinitions.join(', ')})` : 'query Random';
  return {
    document: [`${header} { ${rootSelections.join(' ')} }`, ...fragments.values()].join('\n'),
    variables,
  };
}

/** Real ids and strings from the seeded shop, read as an admin: what random operations' arguments are drawn from. */
export async function knownValues(supergraph: Supergraph, adminToken: string): Promise<KnownValues> {
  const { body } = await supergraph.request<{
    products: { edges: { node: { id: string; sku: string; name: string } }[] };
    orders: { edges: { node: { id: string; user: { id: string; email: string } } }[] };
    faqs: { edges: { node: { id: string; topic: string } }[] };
    categories: { id: string; slug: string }[];
  }>(
    `{ products(first: 5) { edges { node { id sku name } } } orders(first: 5) { edges { node { id user { id email } } } }
       faqs(first: 5) { edges { node { id topic } } } categories { id slug } }`,
    {},
    { token: adminToken },
  );
  if (!body.data) throw new Error(JSON.stringify(body.errors));
  const nodes = <Node>(connection: { edges: { node: Node }[] }) => connection.edges.map(({ node }) => node);
  const [products, orders, faqs] = [nodes(body.data.products), nodes(body.data.orders), nodes(body.data.faqs)];
  const { categories } = body.data;
  return {
    ids: [
      ...products.map(({ id }) => id),
      ...orders.flatMap(({ id, user }) => [id, user.id]),
      ...faqs.map(({ id }) => id),
      ...categories.map(({ id }) => id),
      '00000000-0000-4000-8000-000000000000',
    ],
    strings: [
      ...products.flatMap(({ sku, name }) => [sku, name.slice(0, 4)]),
      ...orders.map(({ user }) => user.email),
      ...faqs.map(({ topic }) => topic),
      ...categories.map(({ slug }) => slug),
      '',
    ],
  };
}
