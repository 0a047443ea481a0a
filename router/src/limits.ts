import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import { type ASTVisitor, GraphQLError, Kind, type SelectionSetNode, type ValidationContext } from 'graphql';
import type { RouterContext } from './context.js';
import type { Environment } from './env.js';
import type { RouterErrorCode } from './error-codes.js';

/**
 * Query limits, checked before planning (README: "Production settings"). graphql-armor counts depth,
 * aliases and directives; graphql-js's parser caps tokens; a small rule here caps root fields.
 * Each rejection is a 400 with its own code and message (see LIMIT_REJECTIONS).
 */
export function queryLimits({ limits, shared }: Pick<Environment, 'limits' | 'shared'>) {
  const armor = new ApolloArmor({
    maxDepth: { n: limits.depth },
    maxAliases: { n: limits.aliases },
    maxDirectives: { n: limits.directives },
    // Cost is demand control's (demand-control.ts), from the supergraph's @cost and @listSize.
    costLimit: { enabled: false },
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

/**
 * The rejections of the limits above as the libraries word them ("Syntax Error: Query depth limit of …"), each
 * with its code and our own message: the limit, what the operation had, and what to do.
 */
export const LIMIT_REJECTIONS: { pattern: RegExp; code: RouterErrorCode; message: (match: string[]) => string }[] = [
  {
    pattern: /Query depth limit of (\d+) exceeded(?:, found (\d+))?/,
    code: 'QUERY_TOO_DEEP',
    message: ([, limit, found]) => `the operation nests ${found ?? 'more'} levels deep; the limit is ${limit}`,
  },
  {
    pattern: /Aliases limit of (\d+) exceeded(?:, found (\d+))?/,
    code: 'TOO_MANY_ALIASES',
    message: ([, limit, found]) => `the operation has ${found ?? 'too many'} aliases; the limit is ${limit}`,
  },
  {
    pattern: /Directives limit of (\d+) exceeded(?:, found (\d+))?/,
    code: 'TOO_MANY_DIRECTIVES',
    message: ([, limit, found]) => `the operation has ${found ?? 'too many'} directives; the limit is ${limit}`,
  },
  {
    pattern: /Document contains more that (\d+) tokens/,
    code: 'TOO_MANY_TOKENS',
    message: ([, limit]) =>
      `the document has more than ${limit} tokens (names, punctuation and values); send a shorter one`,
  },
  {
    pattern: /selects (\d+) root fields, more than the limit of (\d+)/,
    code: 'TOO_MANY_ROOT_FIELDS',
    message: ([, found, limit]) => `the operation selects ${found} root fields; the limit is ${limit}`,
  },
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
