import { DateTime } from '@shop/subgraph-runtime';
import type { Resolvers } from './schema.generated.js';

/** Thin: GraphQL shapes in, service calls out. Typed by the code generated from schema.graphql. */
export const resolvers: Resolvers = {
  DateTime,
  Query: {
    me: (_, __, { users }) => users.me(),
    user: (_, { id }, { users }) => users.user(id),
    users: (_, args, { users, pageRequest }, info) => users.users(pageRequest(args, 'users', info)),
    closedAccounts: (_, { since }, { users }) => users.closedAccounts(since),
  },
  Mutation: {
    signUp: (_, { input }, { users }) => users.signUp(input),
    logIn: (_, { email, password }, { users }) => users.logIn(email, password),
    updateMe: (_, { input }, { users }) => users.updateMe(input),
    closeAccount: (_, { password }, { users }) => users.closeAccount(password),
  },
  User: {
    __resolveReference: (reference, { loaders }) => loaders.userById.load(reference.id),
    email: (user, _, { users }) => users.emailOf(user),
  },
};
