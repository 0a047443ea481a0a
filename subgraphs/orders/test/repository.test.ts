import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { REPOSITORY_ROOT, readMigrations } from '@shop/subgraph-kit';
import { databaseKind, openMigratedTwice } from '@shop/subgraph-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ordersDatabase } from '../src/database.js';
import type { PrismaClient } from '../src/generated/prisma/client.js';
import { createOrderRepository } from '../src/repository.js';

let database: Awaited<ReturnType<typeof openMigratedTwice<PrismaClient>>>;

beforeAll(async () => {
  database = await openMigratedTwice(ordersDatabase);
});
afterAll(() => database?.close());

const order = (userId: string, idempotencyKey: string | null = null) => ({
  userId,
  idempotencyKey,
  requestHash: 'test',
  status: 'CONFIRMED' as const,
  currency: 'EUR',
  totalAmount: 300,
  items: { create: [{ productId: randomUUID(), quantity: 3, unitPriceAmount: 100 }] },
});

describe(`orders database on ${databaseKind}`, () => {
  it('applies its migrations to an empty database, and nothing when run again', () => {
    const names = readMigrations(path.join(REPOSITORY_ROOT, 'prisma/orders/migrations')).map(
      (migration) => migration.name,
    );
    expect(database.firstRun).toEqual({ created: true, applied: names });
    expect(database.secondRun).toEqual({ created: false, applied: [] });
  });

  it('creates, reads, updates and deletes orders with their items, numbered in order', async () => {
    const repository = createOrderRepository(database.prisma);
    const userId = randomUUID();
    const first = await repository.createOrder(order(userId));
    const second = await repository.createOrder(order(userId));
    expect(second.number).toBeGreaterThan(first.number);
    expect(first.items).toHaveLength(1);
    expect((await repository.findOrdersByIds([first.id]))[0]?.items[0]?.quantity).toBe(3);
    expect(await repository.countOrders(userId)).toBe(2);
    expect((await repository.listOrders(userId, null, 10)).map((row) => row.id)).toEqual([second.id, first.id]);

    expect(await repository.changeStatus(first.id, ['CONFIRMED'], { status: 'CANCELLED' })).toBe(true);
    expect(await repository.changeStatus(first.id, ['CONFIRMED'], { status: 'CANCELLED' })).toBe(false);
    expect(await repository.deleteOrder(first.id)).toBe(true);
    expect(await database.prisma.orderItem.count({ where: { orderId: first.id } })).toBe(0);
  });

  it('pages many users orders in one statement', async () => {
    const repository = createOrderRepository(database.prisma);
    const users = [randomUUID(), randomUUID()];
    for (const userId of users) for (let index = 0; index < 3; index++) await repository.createOrder(order(userId));
    const ids = await repository.orderPageIdsByUser(users, { first: 2, after: null });
    expect(ids.filter((row) => row.group === users[0])).toHaveLength(3); // first + 1, to tell there is more
    expect(Object.fromEntries(await repository.countOrdersByUser(users))).toEqual({
      [users[0] as string]: 3,
      [users[1] as string]: 3,
    });
  });

  it('allows one order per user and idempotency key', async () => {
    const repository = createOrderRepository(database.prisma);
    const userId = randomUUID();
    await repository.createOrder(order(userId, 'key-1'));
    await expect(repository.createOrder(order(userId, 'key-1'))).rejects.toMatchObject({ code: 'P2002' });
    await repository.createOrder(order(randomUUID(), 'key-1'));
    expect((await repository.findOrderByIdempotencyKey(userId, 'key-1'))?.userId).toBe(userId);
  });
});
