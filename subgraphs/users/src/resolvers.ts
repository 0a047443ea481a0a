import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { DateTime, pageRequest, type RequestBase } from '@shop/subgraph-kit';
import type { UserLoaders } from './loaders.js';
import type { User } from './repository.js';
import type { SignUpInput, UserService } from './service.js';

export interface UsersContext extends RequestBase {
  loaders: UserLoaders;
  users: UserService;
}

/** Thin: GraphQL shapes in, service calls out. */
export const resolvers: GraphQLResolverMap<UsersContext> = {
  DateTime,
  Query: {
    me: (_: unknown, __: unknown, { users }) => users.me(),
    user: (_: unknown, { id }: { id: string }, { users }) => users.user(id),
    users: (_: unknown, args: { first?: number | null; after?: string | null }, { users }) =>
      users.users(pageRequest(args)),
  },
  Mutation: {
    signUp: (_: unknown, { input }: { input: SignUpInput }, { users }) => users.signUp(input),
    logIn: (_: unknown, { email, password }: { email: string; password: string }, { users }) =>
      users.logIn(email, password),
    updateMe: (_: unknown, { input }: { input: { name?: string | null } }, { users }) => users.updateMe(input),
  },
  User: {
    __resolveReference: (reference: { id: string }, { loaders }: UsersContext) => loaders.userById.load(reference.id),
    email: (user: User, _: unknown, { users }) => users.emailOf(user),
  },
};
