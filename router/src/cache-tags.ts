import { cacheTag } from '@shop/platform';
import {
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLNamedType,
  type GraphQLOutputType,
  type GraphQLSchema,
  getNamedType,
  isAbstractType,
  isCompositeType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

/**
 * The tags of a cached answer: what it shows, so a change can drop it (README: "Response cache").
 * - `Product:<id>` for each object with an `id` the answer selected under that name;
 * - `Product?` for each object of a type with ids whose id was not selected (any change to a Product drops it);
 * - `Product[]` when products are in a list, directly or through a connection's edges (a change to which
 *   products a list holds drops it).
 */
export function cacheTags(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: Record<string, FragmentDefinitionNode>,
  data: Record<string, unknown>,
): Set<string> {
  const tags = new Set<string>();
  const root = schema.getRootType(operation.operation);
  if (root) walk(root, operation.selectionSet, data);
  return tags;

  function walk(parentType: GraphQLCompositeType, selectionSet: SelectionSetNode, value: Record<string, unknown>) {
    const typename = typeof value.__typename === 'string' ? value.__typename : parentType.name;
    const concrete = isObjectType(parentType) ? parentType : schema.getType(typename);
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT || selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments[selection.name.value];
        if (!fragment) continue;
        const condition = fragment.typeCondition ? schema.getType(fragment.typeCondition.name.value) : parentType;
        // Walking a fragment that does not apply only finds fields the answer lacks, so no type check is needed.
        if (condition && isCompositeType(condition)) walk(condition, fragment.selectionSet, value);
        continue;
      }
      const name = selection.name.value;
      if (name.startsWith('__') || !selection.selectionSet) continue;
      if (!(isObjectType(concrete) || isInterfaceType(concrete))) continue;
      const field = concrete.getFields()[name];
      const child = value[selection.alias?.value ?? name];
      if (!field || child === null || child === undefined) continue;
      visit(field.type, selection.selectionSet, child);
    }
  }

  function visit(type: GraphQLOutputType, selectionSet: SelectionSetNode, value: unknown): void {
    if (value === null || value === undefined) return;
    if (isNonNullType(type)) {
      visit(type.ofType, selectionSet, value);
      return;
    }
    if (isListType(type)) {
      // Tagged even when empty: a list that holds no product yet must be dropped when one is added.
      for (const entity of listedEntities(getNamedType(type), selectionSet)) tags.add(cacheTag.lists(entity));
      for (const item of value as unknown[]) visit(type.ofType, selectionSet, item);
      return;
    }
    if (!isCompositeType(type)) return;
    const object = value as Record<string, unknown>;
    const typename = typeof object.__typename === 'string' ? object.__typename : type.name;
    const concrete = schema.getType(typename);
    if (concrete && hasIds(concrete)) {
      const id = selectsId(selectionSet) ? object.id : undefined;
      tags.add(typeof id === 'string' ? cacheTag.entity(typename, id) : cacheTag.someEntity(typename));
      walk(type, selectionSet, object);
      return;
    }
    if (isAbstractType(type) && !concrete) {
      // Unknown concrete type: every possible type may be in it.
      for (const possible of schema.getPossibleTypes(type).filter(hasIds)) tags.add(cacheTag.someEntity(possible.name));
    }
    walk(type, selectionSet, object);
  }

  /** The entity types a list shows: its items' type, or the entities its items hold without ids (edges' nodes). */
  function listedEntities(type: GraphQLNamedType, selectionSet: SelectionSetNode): string[] {
    if (hasIds(type)) return [type.name];
    if (isAbstractType(type))
      return schema.getPossibleTypes(type).flatMap((possible) => listedEntities(possible, selectionSet));
    if (!(isObjectType(type) || isInterfaceType(type))) return [];
    return selectionSet.selections.flatMap((selection) => {
      if (selection.kind !== Kind.FIELD) {
        const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments[selection.name.value];
        return fragment ? listedEntities(type, fragment.selectionSet) : [];
      }
      const field = type.getFields()[selection.name.value];
      return field && selection.selectionSet ? listedEntities(getNamedType(field.type), selection.selectionSet) : [];
    });
  }

  /** Whether `id` is in the answer under its own name (directly or through fragments). */
  function selectsId(selectionSet: SelectionSetNode): boolean {
    return selectionSet.selections.some((selection) => {
      if (selection.kind === Kind.FIELD) return selection.name.value === 'id' && !selection.alias;
      const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments[selection.name.value];
      return fragment ? selectsId(fragment.selectionSet) : false;
    });
  }
}

/** Entities are the object types with an `id` field (every type a subgraph can change by id). */
function hasIds(type: unknown): boolean {
  return isObjectType(type) && 'id' in type.getFields();
}

/**
 * What a change tag drops: `Product:<id>` drops answers showing that product and answers showing a product
 * without its id; `Product[]` drops answers with lists of products.
 */
export function tagsToDrop(changes: Iterable<string>): Set<string> {
  const drop = new Set<string>();
  for (const tag of changes) {
    drop.add(tag);
    const typename = cacheTag.typeOfEntity(tag);
    if (typename) drop.add(cacheTag.someEntity(typename));
  }
  return drop;
}
