import { hash } from '@node-rs/argon2';
import { defineServiceDatabase } from '@shop/subgraph-kit';
import { seedId, seedUsers } from '../../../prisma/seed/data.js';
import { PrismaClient } from './generated/prisma/client.js';

export const usersDatabase = defineServiceDatabase({
  service: 'users',
  // Typed as the plain client: query events are an opt-in for tests, not part of the service's API.
  createClient: (adapter, logQueries): PrismaClient =>
    new PrismaClient({ adapter, log: logQueries ? [{ emit: 'event', level: 'query' }] : [] }),
  seed: async (prisma) => {
    const data = await Promise.all(
      seedUsers.map(async (user) => ({
        id: seedId('user', user.key),
        email: user.email,
        name: user.name,
        role: user.role,
        passwordHash: await hash(user.password),
      })),
    );
    await prisma.user.createMany({ data, skipDuplicates: true });
  },
});
