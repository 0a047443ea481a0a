import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import { type ASTVisitor, GraphQLError, Kind, type SelectionSetNode, type ValidationContext } from 'graphql';
import type { RouterContext } from './context.js';
import type { Environment } from './env.js';
import type { RouterErrorCode } from './error-codes.js';

/**
 * Query limits, checked before planning (README: "Production settings"). graphql-armor counts depth,
 * aliases, directives and cost; graphql-js's parser caps tokens; a small rule here caps root fields.
 * Each rejection is a 400 with its own code (see LIMIT_CODES).
 */
export function queryLimits({ limits, shared }: Pick<Environment, 'limits' | 'shared'>) {
  const armor = new ApolloArmor({
    maxDepth: { n: limits.depth },
    maxAliases: { n: limits.aliases },
    maxDirectives: { n: limits.directives },
    costLimit: { maxCost: limits.cost },
    // graphql-js's own parse option does this in the parser, as a 400 parse error.
    maxTokens: { enabled: false },
    // "Did you mean …" reveals the schema: hidden in production.
    blockFieldSuggestion: { enabled: shared.NODE_ENV === 'production' },
  });
  const protection = armor.protect();
  return {
    // graphql-armor is typed against Apollo Server's CommonJS build; its plugins are plain objects either way.
    plugins: protection.plugins as unknown as ApolloServerPlugin<RouterContext>[],
    validationRules: [...protection.validationRules, maxRootFields(limits.rootFields)],
    parseOptions: { maxTokens: limits.tokens },
  };
}

/** Messages of the limits above, and the code each rejection gets. */
export const LIMIT_CODES: [RegExp, RouterErrorCode][] = [
  [/Query depth limit of \d+ exceeded/, 'QUERY_TOO_DEEP'],
  [/Query Cost limit of \d+ exceeded/, 'QUERY_TOO_COMPLEX'],
  [/Aliases limit of \d+ exceeded/, 'TOO_MANY_ALIASES'],
  [/Directives limit of \d+ exceeded/, 'TOO_MANY_DIRECTIVES'],
  [/Document contains more that \d+ tokens/, 'TOO_MANY_TOKENS'],
  [/root fields, more than the limit/, 'TOO_MANY_ROOT_FIELDS'],
];

function maxRootFields(limit: number) {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(operation) {
      const count = countFields(operation.selectionSet, context, new Set());
      if (count > limit) {
        context.reportError(
          new GraphQLError(`The operation selects ${count} root fields, more than the limit of ${limit}.`, {
            nodes: [operation],
          }),
        );
      }
    },
  });
}

function countFields(selectionSet: SelectionSetNode, context: ValidationContext, seen: Set<string>): number {
  let count = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) count++;
    else if (selection.kind === Kind.INLINE_FRAGMENT) count += countFields(selection.selectionSet, context, seen);
    else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value); // a fragment spread twice, or in a cycle, counts once
      const fragment = context.getFragment(selection.name.value);
      if (fragment) count += countFields(fragment.selectionSet, context, seen);
    }
  }
  return count;
}
