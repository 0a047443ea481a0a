import type { Supergraph } from '@apollo/federation-internals';
import type { Viewer } from '@shop/platform';
import {
  type ASTNode,
  type DirectiveNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  GraphQLError,
  type GraphQLSchema,
  getNamedType,
  isCompositeType,
  isListType,
  isNonNullType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  TypeInfo,
  visit,
  visitWithTypeInfo,
} from 'graphql';
import { byCoordinate } from '../supergraph-directives.js';

/**
 * The Federation authorization directives, enforced before planning (README: "Authentication"), as Apollo Router
 * does: `@authenticated` (a verified token) and `@requiresScopes(scopes: [[…]])` (any one inner list, all of
 * its scopes) on fields and types. A field the caller may not see is taken out of the operation before it is
 * planned, so no subgraph is asked for it; the answer has null there (bubbling up past fields that cannot be
 * null) and an error with its path, and the rest is served. The subgraphs check again (defence in depth).
 */
export interface Requirement {
  authenticated: boolean;
  /** Any one of these sets of scopes, each in full; null: no scopes asked. */
  scopes: string[][] | null;
}

/** Where an operation asks for something guarded: a field's response path ('@' for list elements). */
export interface GuardedSite {
  path: string[];
  /** `Type.field`: what the caller is denied when the requirement is not met. */
  coordinate: string;
  requirement: Requirement;
  /** The `@skip`/`@include` on the way to it: it is asked for only when they all let it through. */
  conditions: Condition[];
}

/** `@skip(if:)` or `@include(if:)`: a literal, or the name of a Boolean variable. */
interface Condition {
  include: boolean;
  value: boolean | string;
}

/** The scopes each role has; a token's own `scope` claim adds to them. */
export const ROLE_SCOPES: Record<Viewer['role'], readonly string[]> = {
  CUSTOMER: ['customer'],
  ADMIN: ['customer', 'admin'],
};

/** Each guarded field (`Type.field`) and type (`Type`) of the supergraph with what it requires. */
export function requirementsOf(supergraph: Supergraph): Map<string, Requirement> {
  return byCoordinate(supergraph, (holder) => {
    let authenticated = false;
    let scopes: string[][] | null = null;
    for (const directive of holder.appliedDirectives) {
      if (directive.name === 'authenticated') authenticated = true;
      if (directive.name === 'requiresScopes') scopes = directive.arguments().scopes as string[][];
    }
    return authenticated || scopes ? { authenticated: true, scopes } : null;
  });
}

/** Whether the caller meets a requirement. */
export function satisfies(viewer: Viewer | null, requirement: Requirement): boolean {
  if (!viewer) return false;
  if (!requirement.scopes) return true;
  const held = new Set([...ROLE_SCOPES[viewer.role], ...(viewer.scopes ?? [])]);
  return requirement.scopes.some((all) => all.every((scope) => held.has(scope)));
}

/** The guarded fields an operation selects, with their paths: found once per operation, checked per request. */
export function guardedSites(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  requirements: Map<string, Requirement>,
): GuardedSite[] {
  if (requirements.size === 0) return [];
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const sites: GuardedSite[] = [];
  const walk = (
    selectionSet: SelectionSetNode,
    parentType: GraphQLCompositeType,
    path: string[],
    seen: string[],
    outer: Condition[],
  ) => {
    for (const selection of selectionSet.selections) {
      const conditions = [...outer, ...conditionsOf(selection.directives ?? [])];
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        if (name.startsWith('__')) continue;
        const field = 'getFields' in parentType ? parentType.getFields()[name] : undefined;
        if (!field) continue;
        const fieldPath = [...path, selection.alias?.value ?? name];
        const named = getNamedType(field.type);
        const coordinate = `${parentType.name}.${name}`;
        const requirement = requirements.get(coordinate) ?? requirements.get(named.name);
        if (requirement) sites.push({ path: fieldPath, coordinate, requirement, conditions });
        if (selection.selectionSet && isCompositeType(named)) {
          walk(selection.selectionSet, named, [...fieldPath, ...listSteps(field.type)], seen, conditions);
        }
      } else {
        const fragment = selection.kind === Kind.FRAGMENT_SPREAD ? fragments.get(selection.name.value) : selection;
        if (!fragment || (selection.kind === Kind.FRAGMENT_SPREAD && seen.includes(selection.name.value))) continue;
        const condition = fragment.typeCondition ? schema.getType(fragment.typeCondition.name.value) : parentType;
        const next = selection.kind === Kind.FRAGMENT_SPREAD ? [...seen, selection.name.value] : seen;
        if (condition && isCompositeType(condition)) walk(fragment.selectionSet, condition, path, next, conditions);
      }
    }
  };
  const root = schema.getRootType(operation.operation);
  if (root) walk(operation.selectionSet, root, [], [], []);
  return sites;
}

function conditionsOf(directives: readonly DirectiveNode[]): Condition[] {
  const conditions: Condition[] = [];
  for (const directive of directives) {
    const include = directive.name.value === 'include';
    if (!include && directive.name.value !== 'skip') continue;
    const argument = directive.arguments?.find((candidate) => candidate.name.value === 'if')?.value;
    if (argument?.kind === Kind.BOOLEAN) conditions.push({ include, value: argument.value });
    if (argument?.kind === Kind.VARIABLE) conditions.push({ include, value: argument.name.value });
  }
  return conditions;
}

/** Whether the operation asks for this site with these variables (its `@skip`/`@include` let it through). */
export function isAsked(site: GuardedSite, variables: Record<string, unknown>): boolean {
  return site.conditions.every(({ include, value }) => {
    const flag = typeof value === 'boolean' ? value : variables[value] === true;
    return include ? flag : !flag;
  });
}

/** The sites the caller is denied in one request: asked for, and not allowed; one per path. */
export function deniedSites(
  sites: GuardedSite[],
  viewer: Viewer | null,
  variables: Record<string, unknown>,
): GuardedSite[] {
  const denied = new Map<string, GuardedSite>();
  for (const site of sites) {
    if (!satisfies(viewer, site.requirement) && isAsked(site, variables)) denied.set(site.path.join('.'), site);
  }
  return [...denied.values()];
}

/** '@' for each list around a field's type: the Router's way of naming "every element" in a path. */
function listSteps(type: unknown): string[] {
  const steps: string[] = [];
  let current = type;
  while (current) {
    if (isNonNullType(current)) current = current.ofType;
    else if (isListType(current)) {
      steps.push('@');
      current = current.ofType;
    } else break;
  }
  return steps;
}

/**
 * The document without the fields of these coordinates; a selection left empty selects `__typename` instead
 * (which every type has, and no subgraph is asked for), so the document stays valid.
 */
export function withoutCoordinates(schema: GraphQLSchema, document: DocumentNode, denied: Set<string>): DocumentNode {
  const typeInfo = new TypeInfo(schema);
  const pruned = visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const parent = typeInfo.getParentType();
        return parent && denied.has(`${parent.name}.${node.name.value}`) ? null : undefined;
      },
    }),
  );
  return visit(pruned, {
    SelectionSet: {
      leave(node): ASTNode | undefined {
        if (node.selections.length > 0) return undefined;
        return { ...node, selections: [{ kind: Kind.FIELD, name: { kind: Kind.NAME, value: '__typename' } }] };
      },
    },
  }) as DocumentNode;
}

/** The error for one denied field: Apollo Router's code and words, and what the caller lacks. */
export function unauthorized(site: GuardedSite, viewer: Viewer | null): GraphQLError {
  const lacks = viewer
    ? `${site.coordinate} needs the scopes ${site.requirement.scopes?.map((all) => all.join(' and ')).join(', or ')}`
    : `${site.coordinate} needs a signed-in caller: send Authorization: Bearer <token> from logIn or signUp`;
  return new GraphQLError(`Unauthorized field or type: ${lacks}`, {
    path: site.path,
    extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' },
  });
}
