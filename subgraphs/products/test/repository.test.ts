import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { REPOSITORY_ROOT, readMigrations } from '@shop/subgraph-kit';
import { databaseKind, openMigratedTwice } from '@shop/subgraph-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { productsDatabase } from '../src/database.js';
import { Prisma, type PrismaClient } from '../src/generated/prisma/client.js';
import { createProductRepository } from '../src/repository.js';

let database: Awaited<ReturnType<typeof openMigratedTwice<PrismaClient>>>;

beforeAll(async () => {
  database = await openMigratedTwice(productsDatabase);
});
afterAll(() => database?.close());

describe(`products database on ${databaseKind}`, () => {
  it('applies its migrations to an empty database, and nothing when run again', () => {
    const names = readMigrations(path.join(REPOSITORY_ROOT, 'prisma/products/migrations')).map(
      (migration) => migration.name,
    );
    expect(database.firstRun).toEqual({ created: true, applied: names });
    expect(database.secondRun).toEqual({ created: false, applied: [] });
  });

  it('creates, reads, updates and deletes products and categories', async () => {
    const repository = createProductRepository(database.prisma);
    const category = await database.prisma.category.create({ data: { slug: 'tea', name: 'Tea' } });
    const created = await repository.createProduct({
      sku: 'TEA-SENCHA',
      name: 'Sencha',
      description: 'Green tea',
      priceAmount: 990,
      priceCurrency: 'EUR',
      stock: 5,
      categoryId: category.id,
    });
    expect((await repository.findProductsByIds([created.id]))[0]?.name).toBe('Sencha');
    expect((await repository.findProductsBySkus(['TEA-SENCHA']))[0]?.id).toBe(created.id);
    expect(await repository.countProducts({ categoryId: category.id })).toBe(1);

    const updated = await repository.updateProduct(created.id, { priceAmount: 1090 });
    expect(updated.priceAmount).toBe(1090);
    expect((await repository.restockProduct(created.id, 3)).stock).toBe(8);

    expect(await repository.deleteProduct(created.id)).toBe(true);
    expect(await repository.deleteProduct(created.id)).toBe(false);
    expect(await repository.findProductsByIds([created.id])).toEqual([]);
  });

  it('enforces unique SKUs and category slugs', async () => {
    const repository = createProductRepository(database.prisma);
    const product = { sku: 'DUP-1', name: 'One', description: 'd', priceAmount: 1, priceCurrency: 'EUR', stock: 1 };
    await repository.createProduct(product);
    const duplicate = await repository.createProduct({ ...product, name: 'Two' }).catch((error: unknown) => error);
    expect(duplicate).toBeInstanceOf(Prisma.PrismaClientKnownRequestError);
    expect((duplicate as Prisma.PrismaClientKnownRequestError).code).toBe('P2002');

    await database.prisma.category.create({ data: { slug: 'dup', name: 'A' } });
    await expect(database.prisma.category.create({ data: { slug: 'dup', name: 'B' } })).rejects.toMatchObject({
      code: 'P2002',
    });
  });

  it('reserves stock for all items or none, never below zero, and gives it back exactly once', async () => {
    const repository = createProductRepository(database.prisma);
    const base = { description: 'd', priceAmount: 100, priceCurrency: 'EUR' };
    const a = await repository.createProduct({ ...base, sku: 'STOCK-A', name: 'A', stock: 2 });
    const b = await repository.createProduct({ ...base, sku: 'STOCK-B', name: 'B', stock: 1 });
    const order1 = randomUUID();
    await expect(
      repository.reserveStock(order1, [
        { productId: a.id, quantity: 2 },
        { productId: b.id, quantity: 2 },
      ]),
    ).rejects.toMatchObject({ productIds: [b.id] });
    const untouched = await repository.findProductsByIds([a.id, b.id]);
    expect(untouched.map((product) => product.stock).sort()).toEqual([1, 2]);
    expect(await repository.findReservation(order1)).toBeNull();

    const order2 = randomUUID();
    const reserved = await repository.reserveStock(order2, [{ productId: a.id, quantity: 2 }]);
    expect(reserved).toMatchObject({
      status: 'RESERVED',
      items: [{ productId: a.id, quantity: 2, unitPriceAmount: 100 }],
    });
    expect((await repository.reserveStock(order2, [{ productId: a.id, quantity: 2 }])).orderId).toBe(order2); // idempotent
    expect((await repository.findProductsByIds([a.id]))[0]?.stock).toBe(0);

    expect(await repository.releaseStock(order2)).toBe(true);
    expect(await repository.releaseStock(order2)).toBe(false);
    expect((await repository.findProductsByIds([a.id]))[0]?.stock).toBe(2);

    // Releasing first leaves a RELEASED mark, and a late reserve for that order takes nothing.
    const order3 = randomUUID();
    expect(await repository.releaseStock(order3)).toBe(false);
    expect((await repository.reserveStock(order3, [{ productId: a.id, quantity: 1 }])).status).toBe('RELEASED');
    expect((await repository.findProductsByIds([a.id]))[0]?.stock).toBe(2);
  });
});
