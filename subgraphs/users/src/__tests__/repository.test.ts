import { databaseKind, migratedDatabase } from '@shop/subgraph-runtime/testing';
import { describe, expect, it } from 'vitest';
import type { PrismaClient } from '../generated/prisma/client.js';
import { createUserRepository } from '../repository.js';
import subgraph from '../subgraph.js';

const database = migratedDatabase<PrismaClient>(subgraph);

describe(`users database on ${databaseKind}`, () => {
  it('creates, reads, updates and deletes users', async () => {
    const repository = createUserRepository(database.prisma, database.reads);
    const user = await repository.createUser({ email: 'grace@shop.test', name: 'Grace', passwordHash: 'x' });
    expect(user.role).toBe('CUSTOMER');
    expect((await repository.findUserByEmail('grace@shop.test'))?.id).toBe(user.id);
    expect((await repository.findUsersByIds([user.id]))[0]?.name).toBe('Grace');
    expect((await repository.updateUser(user.id, { name: 'Grace H.' })).name).toBe('Grace H.');
    expect(await repository.countUsers()).toBe(1);
    expect(await repository.deleteUser(user.id)).toBe(true);
    expect(await repository.findUserByEmail('grace@shop.test')).toBeNull();
  });

  it('enforces unique emails', async () => {
    const repository = createUserRepository(database.prisma, database.reads);
    await repository.createUser({ email: 'twice@shop.test', name: 'One', passwordHash: 'x' });
    await expect(
      repository.createUser({ email: 'twice@shop.test', name: 'Two', passwordHash: 'y' }),
    ).rejects.toMatchObject({
      code: 'P2002',
    });
  });

  it('seeds the development accounts, and seeding again changes nothing', async () => {
    await subgraph.seed(database.prisma);
    await subgraph.seed(database.prisma);
    const emails = (await database.prisma.user.findMany({ where: { email: { endsWith: '@shop.test' } } })).map(
      (user) => user.email,
    );
    expect(emails).toEqual(expect.arrayContaining(['admin@shop.test', 'ada@shop.test', 'linus@shop.test']));
    expect(emails.filter((email) => email === 'ada@shop.test')).toHaveLength(1);
  });
});
