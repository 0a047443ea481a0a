import { describe, expect, it } from 'vitest';
import { encodeCursor, pageRequest, toConnection } from '../pagination.js';

describe('pageRequest', () => {
  it('defaults first to 20 and decodes the cursors it issued', () => {
    const date = new Date('2026-11-25T10:00:00.000Z');
    expect(pageRequest({})).toEqual({ first: 20, after: null });
    expect(pageRequest({ first: 5, after: encodeCursor(date, 'id-1') })).toEqual({
      first: 5,
      after: { value: date, id: 'id-1' },
    });
    expect(pageRequest({ after: encodeCursor(1999, 'id-2') }).after).toEqual({ value: 1999, id: 'id-2' });
    expect(pageRequest({ after: encodeCursor('Mug', 'id-3') }).after).toEqual({ value: 'Mug', id: 'id-3' });
  });

  it.each([
    { first: 101 },
    { first: -1 },
    { first: 1.5 },
    { after: 'garbage' },
    { after: Buffer.from('[1,2]').toString('base64url') },
  ])('rejects %o with BAD_USER_INPUT', (args) => {
    expect(() => pageRequest(args)).toThrow(
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) }),
    );
  });
});

describe('toConnection', () => {
  it('uses the extra row only to tell that another page exists', async () => {
    const rows = [1, 2, 3].map((n) => ({ id: `id-${n}`, n }));
    const connection = toConnection(
      rows,
      { first: 2, after: null },
      (row) => row.n,
      async () => 3,
    );
    expect(connection.edges.map((edge) => edge.node.n)).toEqual([1, 2]);
    expect(connection.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    expect(connection.pageInfo.endCursor).toBe(encodeCursor(2, 'id-2'));
    expect(await connection.totalCount()).toBe(3);
  });
});
