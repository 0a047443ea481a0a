import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { badUserInput, notFound, recodeLibraryMistakes, userError, withoutStacktrace } from '../errors.js';

describe('errors', () => {
  it('user errors carry their code and details', () => {
    expect(badUserInput('too long', 'name').extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name' });
    const missing = notFound('product', 'p1');
    expect(missing.message).toBe('product p1 does not exist');
    expect(missing.extensions).toMatchObject({ code: 'NOT_FOUND', id: 'p1' });
    expect(userError('CONFLICT', 'taken')).toBeInstanceOf(GraphQLError);
  });

  it('drops stack traces from deliberate errors', () => {
    const formatted = withoutStacktrace({ message: 'm', extensions: { code: 'BAD_USER_INPUT', stacktrace: ['at x'] } });
    expect(formatted).toEqual({ message: 'm', extensions: { code: 'BAD_USER_INPUT' } });
  });

  it("rewords a library's wording of a client's mistake as ours, with the code it deserves", () => {
    const csrf = recodeLibraryMistakes({
      message: 'This operation has been blocked as a potential Cross-Site Request Forgery (CSRF).',
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
    expect(csrf.extensions).toEqual({ code: 'BAD_REQUEST' });
    expect(csrf.message).toMatch(/content-type: application\/json/);
    const other = { message: 'something else', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
    expect(recodeLibraryMistakes(other)).toBe(other);
  });
});
