import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

/** ISO 8601 date-times in UTC, e.g. 2026-11-25T10:15:00.000Z. */
export const DateTime = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'An ISO 8601 date-time in UTC, e.g. 2026-11-25T10:15:00.000Z',
  serialize: (value) => {
    if (value instanceof Date) return value.toISOString();
    if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return new Date(value).toISOString();
    throw new GraphQLError('DateTime cannot represent this value');
  },
  parseValue: (value) => parseDate(value),
  parseLiteral: (ast) => parseDate(ast.kind === Kind.STRING ? ast.value : undefined),
});

function parseDate(value: unknown): Date {
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value) && !Number.isNaN(Date.parse(value))) {
    return new Date(value);
  }
  throw new GraphQLError('DateTime must be an ISO 8601 string such as 2026-11-25T10:15:00Z', {
    extensions: { code: 'BAD_USER_INPUT' },
  });
}
