import { describe, expect, it } from 'vitest';
import { cursorCodec, toConnection } from '../pagination.js';

const { pageRequest } = cursorCodec('a secret shared by the services');
/** The cursor a page of `list` gives to a row with this sort value and id. */
const cursorIn = (list: string, value: string | number | Date, id: string) => pageRequest({}, list).cursorOf(value, id);
const badInput = expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) });

describe('pageRequest', () => {
  it('defaults first to 20 and decodes the cursors its list issued', () => {
    const date = new Date('2026-11-25T10:00:00.000Z');
    expect(pageRequest({}, 'orders')).toMatchObject({ first: 20, after: null });
    expect(pageRequest({ first: 5, after: cursorIn('orders', date, 'id-1') }, 'orders')).toMatchObject({
      first: 5,
      after: { value: date, id: 'id-1' },
    });
    const byPrice = 'products:PRICE_ASC';
    expect(pageRequest({ after: cursorIn(byPrice, 1999, 'id-2') }, byPrice).after).toEqual({ value: 1999, id: 'id-2' });
    expect(pageRequest({ after: cursorIn('names', 'Mug', 'id-3') }, 'names').after).toEqual({
      value: 'Mug',
      id: 'id-3',
    });
  });

  it('refuses a cursor of another list or ordering, naming both', () => {
    const cursor = cursorIn('products:PRICE_ASC', 1999, 'id-2');
    expect(() => pageRequest({ after: cursor }, 'products:NAME_ASC')).toThrow(
      /another list \(products:PRICE_ASC, not products:NAME_ASC\)/,
    );
    expect(() => pageRequest({ after: cursor }, 'faqs')).toThrow(badInput);
  });

  it('refuses a cursor edited by hand or signed with another secret', () => {
    const cursor = cursorIn('orders', new Date(), 'id-1');
    const [payload, signature] = cursor.split('.') as [string, string];
    const edited = Buffer.from(Buffer.from(payload, 'base64url').toString('utf8').replace('id-1', 'id-9')).toString(
      'base64url',
    );
    const foreign = cursorCodec('another secret').pageRequest({}, 'orders').cursorOf(new Date(), 'id-1');
    for (const after of [`${edited}.${signature}`, foreign, payload, `${cursor}.`, `${cursor}x`]) {
      expect(() => pageRequest({ after }, 'orders')).toThrow(/not a cursor this API issued/);
    }
  });

  it.each([
    { first: 101 },
    { first: -1 },
    { first: 1.5 },
    { after: 'garbage' },
    { after: Buffer.from('[1,2]').toString('base64url') },
    { after: '' },
  ])('rejects %o with BAD_USER_INPUT', (args) => {
    expect(() => pageRequest(args, 'orders')).toThrow(badInput);
  });
});

describe('toConnection', () => {
  it('uses the extra row only to tell that another page exists', async () => {
    const rows = [1, 2, 3].map((n) => ({ id: `id-${n}`, n }));
    const connection = toConnection(
      rows,
      pageRequest({ first: 2 }, 'numbers'),
      (row) => row.n,
      async () => 3,
    );
    expect(connection.edges.map((edge) => edge.node.n)).toEqual([1, 2]);
    expect(connection.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    expect(connection.pageInfo.endCursor).toBe(cursorIn('numbers', 2, 'id-2'));
    expect(await connection.totalCount()).toBe(3);
  });
});
