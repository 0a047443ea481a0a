import { createSubgraph, createTokenSigner, StartupError, type SubgraphDependencies } from '@shop/subgraph-kit';
import type { UsersContext } from './context.js';
import type { Environment } from './env.js';
import type { PrismaClient } from './generated/prisma/client.js';
import { createUserLoaders } from './loaders.js';
import { createUserRepository } from './repository.js';
import { resolvers } from './resolvers.js';
import { createUserService } from './service.js';

/** The users subgraph on a database (no listening: main.ts and the tests do that). */
export async function createUsersSubgraph(runtime: SubgraphDependencies<PrismaClient, Environment>) {
  const { prisma, env, keys, closedAccounts } = runtime;
  if (!keys.privatePem) throw new StartupError('JWT_PRIVATE_KEY is required: the users service signs tokens');
  const signToken = await createTokenSigner(keys.privatePem, env.JWT_TTL_SECONDS);
  const repository = createUserRepository(prisma);
  return createSubgraph<UsersContext>(runtime, {
    schemaFile: new URL('../schema.graphql', import.meta.url),
    resolvers,
    context: (base) => {
      const loaders = createUserLoaders(repository);
      return { ...base, loaders, users: createUserService(repository, loaders, signToken, base, closedAccounts) };
    },
  });
}
