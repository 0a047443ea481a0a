import { cacheTag } from '@shop/platform';
import type { CacheDescription } from '@shop/subgraph-runtime';

/**
 * What the user list reads and what user row changes mean, in cache tags (README: "Cache"). One list, in
 * sign-up order: `User[all]`, which a new or deleted account changes.
 */
export const userListReads = [cacheTag.list('User', 'all')];

export const usersCache: CacheDescription = {
  entities: ['User'],
  changeTags: ({ before, after }) => {
    const row = (after ?? before) as Record<string, unknown>;
    return [cacheTag.entity('User', String(row.id)), ...(!before || !after ? userListReads : [])];
  },
};
