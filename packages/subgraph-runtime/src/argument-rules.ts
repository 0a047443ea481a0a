import { badUserInput } from '@shop/platform';
import {
  defaultFieldResolver,
  type GraphQLArgument,
  type GraphQLError,
  type GraphQLInputType,
  type GraphQLSchema,
  getNamedType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
} from 'graphql';
import { isId } from './loaders.js';

/** No text in this API is longer; services set tighter limits of their own (a name, a search). */
export const MAX_TEXT_LENGTH = 10_000;

// C0 controls and DEL, except tab, line feed and carriage return. PostgreSQL cannot store U+0000 at all.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL_CHARACTER = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
// A UTF-16 surrogate without its pair: not a character, and not encodable as UTF-8.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * The rules every argument of every field follows, in every subgraph, checked before any resolver runs:
 * - an `ID` is a UUID, as every id this API issues is; anything else is BAD_USER_INPUT naming the argument
 *   (`extensions.field`, e.g. `input.items[1].productId`). A well-formed id that names nothing is the
 *   service's business: null from a query, NOT_FOUND from a mutation.
 * - a `String` is well-formed Unicode of at most MAX_TEXT_LENGTH characters, with no control characters but
 *   tab and line breaks; otherwise BAD_USER_INPUT. No such string reaches a database.
 * Federation's own fields (`_entities`, `_service`) are left alone: only the router calls them.
 */
export function enforceArgumentRules(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      if (field.args.length === 0 || field.name.startsWith('_')) continue;
      const resolve = field.resolve ?? defaultFieldResolver;
      const args = field.args;
      field.resolve = (source, values, context, info) => {
        const problem = firstProblem(args, values);
        if (problem) throw problem;
        return resolve(source, values, context, info);
      };
    }
  }
  return schema;
}

function firstProblem(args: readonly GraphQLArgument[], values: Record<string, unknown>): GraphQLError | null {
  for (const argument of args) {
    const problem = problemIn(argument.type, values[argument.name], argument.name);
    if (problem) return problem;
  }
  return null;
}

function problemIn(type: GraphQLInputType, value: unknown, path: string): GraphQLError | null {
  if (value === null || value === undefined) return null;
  if (isNonNullType(type)) return problemIn(type.ofType, value, path);
  if (isListType(type)) {
    const items = Array.isArray(value) ? value : [value];
    for (const [index, item] of items.entries()) {
      const problem = problemIn(type.ofType, item, `${path}[${index}]`);
      if (problem) return problem;
    }
    return null;
  }
  if (isInputObjectType(type)) {
    for (const field of Object.values(type.getFields())) {
      const problem = problemIn(field.type, (value as Record<string, unknown>)[field.name], `${path}.${field.name}`);
      if (problem) return problem;
    }
    return null;
  }
  const scalar = getNamedType(type).name;
  if (scalar === 'ID' && !isId(String(value))) {
    return badUserInput(`${path} is not a valid id (ids are the UUIDs this API returns)`, path);
  }
  if (scalar === 'String' && typeof value === 'string') return textProblem(value, path);
  return null;
}

function textProblem(text: string, path: string): GraphQLError | null {
  if (text.length > MAX_TEXT_LENGTH) return badUserInput(`${path} is longer than ${MAX_TEXT_LENGTH} characters`, path);
  const control = CONTROL_CHARACTER.exec(text);
  if (control) {
    const codePoint = `U+${control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
    return badUserInput(
      `${path} contains the control character ${codePoint}; text may hold tabs and line breaks, but no other control characters`,
      path,
    );
  }
  if (LONE_SURROGATE.test(text)) {
    return badUserInput(`${path} is not valid Unicode (it holds half of a UTF-16 surrogate pair)`, path);
  }
  return null;
}
