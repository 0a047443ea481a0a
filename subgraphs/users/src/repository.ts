import type { ClosedAccount } from '@shop/platform';
import { afterCursor, type Cursor, type PreparedReads, type ReadStatement } from '@shop/subgraph-runtime';
import type { LoginThrottle, Prisma, PrismaClient, User } from './generated/prisma/client.js';

export type { LoginThrottle, User } from './generated/prisma/client.js';

/** What a closed account's name reads. */
export const CLOSED_NAME = 'Closed account';

const USERS_BY_IDS: ReadStatement = {
  name: 'users:by-ids',
  text: `SELECT u."id", u."email", u."name", u."password_hash" AS "passwordHash", u."role"::text AS "role",
    u."created_at" AS "createdAt", u."updated_at" AS "updatedAt", u."closed_at" AS "closedAt"
    FROM "users" u WHERE u."id" = ANY($1::uuid[])`,
};

/** The only code that talks to the users database. */
export function createUserRepository(prisma: PrismaClient, reads: PreparedReads) {
  return {
    findUsersByIds: (ids: string[]) => reads.query<User>(USERS_BY_IDS, [ids]),
    findUserByEmail: (email: string) => prisma.user.findUnique({ where: { email } }),
    listUsers: (after: Cursor | null, take: number) =>
      prisma.user.findMany({
        where: afterCursor('createdAt', 'asc', after) as Prisma.UserWhereInput,
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
        take,
      }),
    countUsers: () => prisma.user.count(),
    createUser: (data: Prisma.UserCreateInput) => prisma.user.create({ data }),
    updateUser: (id: string, data: Prisma.UserUpdateInput) => prisma.user.update({ where: { id }, data }),
    /** Erases the account's personal data in place, leaving a user that still resolves; false if already closed. */
    closeUser: async (id: string, closedAt: Date) =>
      (
        await prisma.user.updateMany({
          where: { id, closedAt: null },
          data: { email: `closed-${id}@closed.invalid`, name: CLOSED_NAME, passwordHash: '', closedAt },
        })
      ).count > 0,
    /** Accounts closed since then: what every service refuses tokens for. */
    findClosedSince: async (since: Date): Promise<ClosedAccount[]> =>
      (await prisma.user.findMany({ where: { closedAt: { gte: since } }, select: { id: true, closedAt: true } })).map(
        (user) => ({ id: user.id, closedAt: user.closedAt as Date }),
      ),
    deleteUser: async (id: string) => (await prisma.user.deleteMany({ where: { id } })).count > 0,

    findLoginThrottle: (email: string) => prisma.loginThrottle.findUnique({ where: { email } }),
    saveLoginThrottle: (throttle: LoginThrottle) =>
      prisma.loginThrottle.upsert({ where: { email: throttle.email }, create: throttle, update: throttle }),
    clearLoginThrottle: (email: string) => prisma.loginThrottle.deleteMany({ where: { email } }),
  };
}

export type UserRepository = ReturnType<typeof createUserRepository>;
