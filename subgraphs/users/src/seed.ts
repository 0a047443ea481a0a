import { hash } from '@node-rs/argon2';
import { seedId, seedUsers } from '../../../prisma/seed/data.js';
import type { PrismaClient } from './generated/prisma/client.js';

/** The development accounts (README: "Development credentials"). */
export async function seedAccounts(prisma: PrismaClient): Promise<void> {
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
}
