import { rowLoader } from '@shop/subgraph-runtime';
import type { UserRepository } from './repository.js';

/** Per-request loaders: every user asked for in one tick is fetched in one query. */
export function createUserLoaders(repository: UserRepository) {
  return {
    userById: rowLoader(repository.findUsersByIds, (user) => user.id),
  };
}

export type UserLoaders = ReturnType<typeof createUserLoaders>;
