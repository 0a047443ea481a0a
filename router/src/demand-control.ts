import { ROUTER_SUPPORTED_SUPERGRAPH_FEATURES, Supergraph } from '@apollo/federation-internals';
import type { ApolloServerPlugin } from '@apollo/server';
import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  GraphQLError,
  type GraphQLField,
  type GraphQLSchema,
  getNamedType,
  isCompositeType,
  isListType,
  isNonNullType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { getArgumentValues } from 'graphql/execution/values.js';
import type { RouterContext } from './context.js';
import { byCoordinate } from './supergraph-directives.js';

/**
 * Demand control (README: "Router features"): each operation's cost is estimated before it runs, from the
 * supergraph's `@cost` and `@listSize` (the Federation cost spec, as Apollo Router reads it), and an operation
 * over the budget is refused with QUERY_TOO_COMPLEX before any subgraph is asked. An object costs 1, a scalar
 * or enum 0, a root mutation field 10, unless `@cost(weight:)` says otherwise; a list multiplies what it holds
 * by its size: the value of its slicing argument (e.g. `first`, its default when not given), else its
 * `assumedSize`, else `defaultListSize`. A client sends `"extensions": {"cost": true}` to get the estimate
 * (`extensions.cost`) in the answer.
 */
interface CostRule {
  weight?: number;
  assumedSize?: number;
  slicingArguments?: string[];
  /** The sizes apply to these fields of what the field returns (e.g. a connection's `edges`), not to it. */
  sizedFields?: string[];
}

const MUTATION_FIELD_COST = 10;

/** The `@cost` and `@listSize` of each field (`Type.field`) and type of a supergraph. */
export function costRulesOf(supergraphSdl: string): Map<string, CostRule> {
  const supergraph = Supergraph.build(supergraphSdl, { supportedFeatures: ROUTER_SUPPORTED_SUPERGRAPH_FEATURES });
  return byCoordinate(supergraph, (holder) => {
    let rule: CostRule | null = null;
    for (const directive of holder.appliedDirectives) {
      const args = directive.arguments();
      if (directive.name === 'cost') rule = { ...(rule ?? {}), weight: args.weight as number };
      if (directive.name === 'listSize') {
        rule = {
          ...(rule ?? {}),
          ...(typeof args.assumedSize === 'number' ? { assumedSize: args.assumedSize } : {}),
          ...(Array.isArray(args.slicingArguments) ? { slicingArguments: args.slicingArguments as string[] } : {}),
          ...(Array.isArray(args.sizedFields) ? { sizedFields: args.sizedFields as string[] } : {}),
        };
      }
    }
    return rule;
  });
}

/** The operation's estimated cost with these variables. */
export function estimateCost(
  schema: GraphQLSchema,
  rules: Map<string, CostRule>,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  defaultListSize: number,
): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const sizeOf = (rule: CostRule | undefined, field: GraphQLField<unknown, unknown>, node: FieldNode): number => {
    if (rule?.slicingArguments) {
      let args: Record<string, unknown> = {};
      try {
        args = getArgumentValues(field, node, variables);
      } catch {}
      const sizes = rule.slicingArguments.map((name) => args[name]).filter((value) => typeof value === 'number');
      if (sizes.length > 0) return Math.max(...(sizes as number[]));
    }
    return rule?.assumedSize ?? defaultListSize;
  };
  const costOf = (
    selectionSet: SelectionSetNode,
    parentType: GraphQLCompositeType,
    sized: { fields: string[]; size: number } | null,
    seen: string[],
  ): number => {
    let total = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind !== Kind.FIELD) {
        const fragment = selection.kind === Kind.FRAGMENT_SPREAD ? fragments.get(selection.name.value) : selection;
        if (!fragment || (selection.kind === Kind.FRAGMENT_SPREAD && seen.includes(selection.name.value))) continue;
        const condition = fragment.typeCondition ? schema.getType(fragment.typeCondition.name.value) : parentType;
        const next = selection.kind === Kind.FRAGMENT_SPREAD ? [...seen, selection.name.value] : seen;
        if (condition && isCompositeType(condition)) total += costOf(fragment.selectionSet, condition, sized, next);
        continue;
      }
      const name = selection.name.value;
      const field = 'getFields' in parentType ? parentType.getFields()[name] : undefined;
      if (!field) continue;
      const named = getNamedType(field.type);
      const rule = rules.get(`${parentType.name}.${name}`);
      const typeRule = rules.get(named.name);
      const isMutationRoot = parentType === schema.getMutationType();
      const own =
        rule?.weight ?? typeRule?.weight ?? (isMutationRoot ? MUTATION_FIELD_COST : isCompositeType(named) ? 1 : 0);
      const size = rule ? sizeOf(rule, field, selection) : defaultListSize;
      const childSized = rule?.sizedFields ? { fields: rule.sizedFields, size } : null;
      const children =
        selection.selectionSet && isCompositeType(named) ? costOf(selection.selectionSet, named, childSized, seen) : 0;
      const elements = isList(field.type)
        ? sized?.fields.includes(name)
          ? sized.size
          : rule?.sizedFields
            ? defaultListSize
            : size
        : 1;
      total += elements * (own + children);
    }
    return total;
  };
  const root = schema.getRootType(operation.operation);
  return root ? costOf(operation.selectionSet, root, null, []) : 0;
}

const isList = (type: unknown): boolean => isListType(isNonNullType(type) ? type.ofType : type);

/**
 * The Apollo Server plugin: estimates each operation's cost once it is resolved, refuses one over `maxCost`
 * (400, QUERY_TOO_COMPLEX) and reports the estimate in `extensions.cost` when the request asked for it.
 */
export function demandControl({
  maxCost,
  defaultListSize,
  current,
  onCost,
}: {
  maxCost: number;
  defaultListSize: number;
  /** The API schema and cost rules served now (they change on a reload). */
  current: () => { schema: GraphQLSchema; rules: Map<string, CostRule> };
  onCost: (cost: number, rejected: boolean) => void;
}): ApolloServerPlugin<RouterContext> {
  return {
    async requestDidStart() {
      let estimated: number | null = null;
      return {
        async didResolveOperation({ document, operation, request }) {
          if (!operation) return;
          const { schema, rules } = current();
          const cost = estimateCost(schema, rules, document, operation, request.variables ?? {}, defaultListSize);
          estimated = cost;
          onCost(cost, cost > maxCost);
          if (cost > maxCost) {
            throw new GraphQLError(
              `the operation's estimated cost is ${cost}, over the limit of ${maxCost}: ask for fewer nested lists or fields, or fewer items (a smaller first)`,
              {
                extensions: {
                  code: 'QUERY_TOO_COMPLEX',
                  cost: { estimated: cost, max: maxCost },
                  http: { status: 400 },
                },
              },
            );
          }
        },
        async willSendResponse({ request, response }) {
          if (estimated === null || request.extensions?.cost !== true || response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          result.extensions = { ...result.extensions, cost: { estimated, max: maxCost } };
        },
      };
    },
  };
}
