import { cacheTag } from '@shop/platform';
import type { CacheDescription } from '@shop/subgraph-runtime';

/**
 * What order lists read and what order row changes mean, in cache tags (README: "Cache"). Lists, newest
 * first (no change moves an order in them): `Order[user:<id>]` (a customer's orders), `Order[all]` (an admin's).
 * An item belongs to its order: a change to it is a change to `Order:<orderId>`.
 */
const list = (dimension: string) => cacheTag.list('Order', dimension);
export const ordersOfUserReads = (userId: string) => [list(`user:${userId}`)];
export const ordersReads = (owner: string | null) => (owner === null ? [list('all')] : ordersOfUserReads(owner));

type Row = Record<string, unknown>;

export const ordersCache: CacheDescription = {
  entities: ['Order'],
  changeTags: ({ table, before, after }) => {
    const row = (after ?? before) as Row;
    if (table === 'order_items') return [cacheTag.entity('Order', String(row.order_id))];
    const tags = [cacheTag.entity('Order', String(row.id))];
    if (!before || !after || before.user_id !== after.user_id) {
      tags.push(list('all'));
      for (const side of [before, after]) if (side) tags.push(list(`user:${side.user_id}`));
    }
    return tags;
  },
};
