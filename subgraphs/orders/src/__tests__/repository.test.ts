import { randomUUID } from 'node:crypto';
import { cursorCodec } from '@shop/subgraph-runtime';
import { databaseKind, migratedDatabase } from '@shop/subgraph-runtime/testing';
import { describe, expect, it } from 'vitest';
import type { PrismaClient } from '../generated/prisma/client.js';
import { createOrderRepository } from '../repository.js';
import subgraph from '../subgraph.js';

const database = migratedDatabase<PrismaClient>(subgraph);

const order = (userId: string, idempotencyKey: string | null = null) => ({
  userId,
  idempotencyKey,
  requestHash: 'test',
  status: 'CONFIRMED' as const,
  stockState: 'COMMITTED' as const,
  currency: 'EUR',
  totalAmount: 300,
  items: { create: [{ productId: randomUUID(), quantity: 3, unitPriceAmount: 100 }] },
});

describe(`orders database on ${databaseKind}`, () => {
  it('creates, reads, updates and deletes orders with their items, numbered in order', async () => {
    const repository = createOrderRepository(database.prisma, database.reads);
    const userId = randomUUID();
    const first = await repository.createOrder(order(userId));
    const second = await repository.createOrder(order(userId));
    expect(second.number).toBeGreaterThan(first.number);
    expect(first.items).toHaveLength(1);
    expect((await repository.findOrdersByIds([first.id]))[0]?.items[0]?.quantity).toBe(3);
    expect(await repository.countOrders(userId)).toBe(2);
    expect((await repository.listOrders(userId, null, 10)).map((row) => row.id)).toEqual([second.id, first.id]);

    expect(await repository.transition(first.id, 'cancel', { cancelReason: 'test' })).toBe(true);
    expect(await repository.transition(first.id, 'cancel', { cancelReason: 'again' })).toBe(false);
    expect(await repository.deleteOrder(first.id)).toBe(true);
    expect(await database.prisma.orderItem.count({ where: { orderId: first.id } })).toBe(0);
  });

  it('pages many users orders in one statement', async () => {
    const repository = createOrderRepository(database.prisma, database.reads);
    const users = [randomUUID(), randomUUID()];
    for (const userId of users) for (let index = 0; index < 3; index++) await repository.createOrder(order(userId));
    const pages = await repository.orderPagesByUser(
      users,
      cursorCodec('test').pageRequest({ first: 2 }, 'user.orders'),
    );
    const first = pages.filter((entry) => entry.group === users[0]);
    expect(first).toHaveLength(3); // first + 1, to tell there is more
    expect(first.map((entry) => entry.total)).toEqual([3, 3, 3]); // each user's count, in the same statement
    expect(first[0]?.row.items).toEqual([expect.objectContaining({ quantity: expect.any(Number) })]);
    expect(first[0]?.row.createdAt).toBeInstanceOf(Date);
    expect((await repository.findOrdersByIds([first[0]?.row.id as string]))[0]).toEqual(first[0]?.row);
    expect(Object.fromEntries(await repository.countOrdersByUser(users))).toEqual({
      [users[0] as string]: 3,
      [users[1] as string]: 3,
    });
  });

  it('allows one order per user and idempotency key', async () => {
    const repository = createOrderRepository(database.prisma, database.reads);
    const userId = randomUUID();
    await repository.createOrder(order(userId, 'key-1'));
    await expect(repository.createOrder(order(userId, 'key-1'))).rejects.toMatchObject({ code: 'P2002' });
    await repository.createOrder(order(randomUUID(), 'key-1'));
    expect((await repository.findOrderByIdempotencyKey(userId, 'key-1'))?.userId).toBe(userId);
  });

  it('moves an order only along its transitions, each once', async () => {
    const repository = createOrderRepository(database.prisma, database.reads);
    const pending = await repository.createOrder({ ...order(randomUUID()), status: 'PENDING', stockState: 'UNKNOWN' });
    expect(await repository.transition(pending.id, 'ship')).toBe(false); // PENDING cannot ship
    const confirmed = await repository.confirm(pending.id, new Map([[pending.items[0]?.productId as string, 120]]));
    expect(confirmed).toMatchObject({ status: 'CONFIRMED', stockState: 'RESERVED', totalAmount: 360 });
    expect(confirmed?.items[0]?.unitPriceAmount).toBe(120);
    expect(await repository.confirm(pending.id, new Map())).toBeNull();
    expect(await repository.transition(pending.id, 'abandon')).toBe(false); // only a PENDING order is abandoned
    expect(await repository.transition(pending.id, 'ship')).toBe(false); // not committed yet
    expect(await repository.transition(pending.id, 'commit')).toBe(true);
    expect(await repository.transition(pending.id, 'ship')).toBe(true);
    expect(await repository.transition(pending.id, 'cancel')).toBe(false); // shipped is final

    const quiet = await repository.createOrder({ ...order(randomUUID()), status: 'PENDING', stockState: 'UNKNOWN' });
    expect(await repository.transition(quiet.id, 'abandon', { failureCode: 'ORDER_NOT_PLACED' })).toBe(true);
    expect(await repository.transition(quiet.id, 'abandon')).toBe(false);
    expect((await repository.findOrdersByIds([quiet.id]))[0]).toMatchObject({
      status: 'CANCELLED',
      failureCode: 'ORDER_NOT_PLACED',
    });
  });

  it('lets one worker at a time claim an order, and concurrent sweeps claim different orders', async () => {
    const repository = createOrderRepository(database.prisma, database.reads);
    const target = await repository.createOrder({ ...order(randomUUID()), status: 'PENDING', stockState: 'UNKNOWN' });
    expect(await repository.claim(target.id, 'worker-a', 60_000)).toBe(true);
    expect(await repository.claim(target.id, 'worker-b', 60_000)).toBe(false);
    await repository.releaseClaim(target.id, 'worker-b'); // not b's to release
    expect(await repository.claim(target.id, 'worker-b', 60_000)).toBe(false);
    await repository.releaseClaim(target.id, 'worker-a');
    expect(await repository.claim(target.id, 'worker-b', -1)).toBe(true); // an already expired claim…
    expect(await repository.claim(target.id, 'worker-c', 60_000)).toBe(true); // …is taken over

    const unsettled: { id: string }[] = [];
    for (let index = 0; index < 6; index++) {
      unsettled.push(
        await repository.createOrder({ ...order(randomUUID()), status: 'CONFIRMED', stockState: 'RESERVED' }),
      );
    }
    const [first, second] = await Promise.all([
      repository.claimUnsettled('sweep-1', 60_000, 100),
      repository.claimUnsettled('sweep-2', 60_000, 100),
    ]);
    const ids = (rows: { id: string }[]) =>
      rows.map((row) => row.id).filter((id) => unsettled.some((o) => o.id === id));
    expect(ids(first).filter((id) => ids(second).includes(id))).toEqual([]);
    expect(ids(first).length + ids(second).length).toBe(6);
    expect(await repository.claimUnsettled('sweep-3', 60_000, 100)).toEqual([]);
  });
});
