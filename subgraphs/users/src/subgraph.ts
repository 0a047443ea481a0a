import { createTokenSigner, StartupError, z } from '@shop/platform';
import { defineSubgraph, prismaClient } from '@shop/subgraph-runtime';
import { usersCache } from './cache.js';
import type { UsersContext } from './context.js';
import { PrismaClient } from './generated/prisma/client.js';
import { createUserLoaders } from './loaders.js';
import { createUserRepository } from './repository.js';
import { resolvers } from './resolvers.js';
import { seedAccounts } from './seed.js';
import { createUserService } from './service.js';

/** The users service's own settings (README: "Configuration"). */
const settings = z.object({
  JWT_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(3600),
});

/** The users subgraph: accounts and the tokens that prove them (the house discovers it by this manifest). */
export default defineSubgraph({
  name: 'users',
  port: 4001,
  schemaFile: new URL('../schema.graphql', import.meta.url),
  migrationsDir: new URL('../../../prisma/users/migrations/', import.meta.url),
  settings,
  createClient: prismaClient(PrismaClient),
  seed: seedAccounts,
  cache: usersCache,
  // The accounts are ours: closures come from our own table, as fresh as the last commit.
  closedAccountsSource: ({ prisma, reads }) => createUserRepository(prisma, reads).findClosedSince,
  codegen: {
    context: 'UsersContext',
    mappers: { User: './repository.js#User as UserRow', UserConnection: './context.js#UserConnectionRow' },
  },
  resolvers,
  start: async ({ prisma, reads, settings, keys, closedAccounts }) => {
    if (!keys.privatePem) throw new StartupError('JWT_PRIVATE_KEY is required: the users service signs tokens');
    const signToken = await createTokenSigner(keys.privatePem, settings.JWT_TTL_SECONDS);
    const repository = createUserRepository(prisma, reads);
    return {
      context: (base): UsersContext => {
        const loaders = createUserLoaders(repository);
        return { ...base, loaders, users: createUserService(repository, loaders, signToken, base, closedAccounts) };
      },
    };
  },
});
