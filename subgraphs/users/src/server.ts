import { readFileSync } from 'node:fs';
import {
  createSubgraph,
  createTokenSigner,
  databaseAnswers,
  StartupError,
  type SubgraphDependencies,
} from '@shop/subgraph-kit';
import { parse } from 'graphql';
import type { UsersContext } from './context.js';
import type { Environment } from './env.js';
import type { PrismaClient } from './generated/prisma/client.js';
import { createUserLoaders } from './loaders.js';
import { createUserRepository } from './repository.js';
import { resolvers } from './resolvers.js';
import { createUserService } from './service.js';

export const typeDefs = parse(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));

/** The users subgraph on a database (no listening: main.ts and the tests do that). */
export async function createUsersSubgraph({
  prisma,
  env,
  log,
  keys,
  verifyToken,
  internalToken,
}: SubgraphDependencies<PrismaClient, Environment>) {
  if (!keys.privatePem) throw new StartupError('JWT_PRIVATE_KEY is required: the users service signs tokens');
  const signToken = await createTokenSigner(keys.privatePem, env.JWT_TTL_SECONDS);
  const repository = createUserRepository(prisma);
  return createSubgraph<UsersContext>({
    typeDefs,
    resolvers,
    log,
    production: env.NODE_ENV === 'production',
    verifyToken,
    internalToken,
    context: (base) => {
      const loaders = createUserLoaders(repository);
      return { ...base, loaders, users: createUserService(repository, loaders, signToken, base.viewer) };
    },
    ready: () => databaseAnswers(prisma),
  });
}
