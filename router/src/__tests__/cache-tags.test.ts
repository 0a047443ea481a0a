import { readFileSync } from 'node:fs';
import { buildSchema, type FragmentDefinitionNode, Kind, type OperationDefinitionNode, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { cacheTags, tagsToDrop } from '../cache-tags.js';

/**
 * The tags of a cached answer decide which changes drop it: a tag missed is a stale answer served, so every
 * way an entity can appear in an answer is covered here, on the real API schema.
 */
const schema = buildSchema(readFileSync(new URL('../../../schema/api.graphql', import.meta.url), 'utf8'));

function tagsOf(query: string, data: Record<string, unknown>): string[] {
  const document = parse(query);
  const operation = document.definitions.find(
    (definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION,
  ) as OperationDefinitionNode;
  const fragments = Object.fromEntries(
    document.definitions
      .filter((definition): definition is FragmentDefinitionNode => definition.kind === Kind.FRAGMENT_DEFINITION)
      .map((fragment) => [fragment.name.value, fragment]),
  );
  return [...cacheTags(schema, operation, fragments, data)].sort();
}

describe('cache tags', () => {
  it('names each entity whose id the answer selected, and marks one without', () => {
    expect(
      tagsOf('{ product(id: "p1") { id name category { name } } }', {
        product: { id: 'p1', name: 'Lamp', category: { name: 'Home' } },
      }),
    ).toEqual(['Category?', 'Product:p1']);
  });

  it('does not take an alias named id for the id', () => {
    expect(tagsOf('{ product(id: "p1") { id: sku } }', { product: { id: 'LAMP-1' } })).toEqual(['Product?']);
  });

  it('finds ids selected in fragments', () => {
    const query = '{ product(id: "p1") { ...Card } } fragment Card on Product { id name }';
    expect(tagsOf(query, { product: { id: 'p1', name: 'Lamp' } })).toEqual(['Product:p1']);
  });

  it("tags lists, through a connection's edges, even when they are empty", () => {
    const query = '{ products(first: 2) { edges { node { id } } } }';
    expect(tagsOf(query, { products: { edges: [] } })).toEqual(['Product[]']);
    expect(tagsOf(query, { products: { edges: [{ node: { id: 'a' } }, { node: { id: 'b' } }] } })).toEqual([
      'Product:a',
      'Product:b',
      'Product[]',
    ]);
  });

  it("tags a list an entity holds (a product's FAQs, a user's orders)", () => {
    const query = '{ me { id orders(first: 1) { edges { node { number } } } } }';
    expect(tagsOf(query, { me: { id: 'u1', orders: { edges: [{ node: { number: '1' } }] } } })).toEqual([
      'Order?',
      'Order[]',
      'User:u1',
    ]);
  });

  it('drops answers showing an entity without its id when that entity changes', () => {
    expect([...tagsToDrop(['Product:p1', 'Order[]'])].sort()).toEqual(['Order[]', 'Product:p1', 'Product?']);
  });
});
