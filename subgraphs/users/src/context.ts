import type { Connection, RequestBase } from '@shop/subgraph-runtime';
import type { UserLoaders } from './loaders.js';
import type { User } from './repository.js';
import type { UserService } from './service.js';

/** What every users resolver receives. */
export interface UsersContext extends RequestBase {
  loaders: UserLoaders;
  users: UserService;
}

export type UserConnectionRow = Connection<User>;
