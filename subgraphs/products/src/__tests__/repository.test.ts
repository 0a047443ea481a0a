import { randomUUID } from 'node:crypto';
import { databaseKind, migratedDatabase } from '@shop/subgraph-runtime/testing';
import { describe, expect, it } from 'vitest';
import { Prisma, type PrismaClient } from '../generated/prisma/client.js';
import { createProductRepository } from '../repository.js';
import subgraph from '../subgraph.js';

const database = migratedDatabase<PrismaClient>(subgraph);

describe(`products database on ${databaseKind}`, () => {
  it('creates, reads, updates and deletes products and categories', async () => {
    const repository = createProductRepository(database.prisma, database.reads);
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
    expect(await repository.countProducts({ categorySlug: 'tea' })).toBe(1);
    // One statement: the page, its categories joined, and the count of every match when asked for.
    const page = { after: null, take: 10, withCount: true };
    expect(await repository.listProducts({ categorySlug: 'tea', search: 'sench' }, 'NAME_ASC', page)).toEqual({
      products: [expect.objectContaining({ id: created.id, category: expect.objectContaining({ slug: 'tea' }) })],
      total: 1,
    });
    expect(await repository.listProducts({ categorySlug: 'coffee' }, 'NEWEST', page)).toEqual({
      products: [],
      total: 0,
    });
    expect((await repository.listProducts({ search: '100%' }, 'NEWEST', page)).total).toBe(0); // % is not a wildcard
    expect((await repository.listProducts({ minPrice: 990, maxPrice: 990 }, 'PRICE_ASC', page)).total).toBe(1);

    const updated = await repository.updateProduct(created.id, { priceAmount: 1090 });
    expect(updated.priceAmount).toBe(1090);
    expect((await repository.restockProduct(created.id, 3, 10))?.stock).toBe(8);
    expect(await repository.restockProduct(created.id, 3, 10)).toBeNull(); // 11 would be over the maximum of 10
    expect((await repository.findProductsByIds([created.id]))[0]?.stock).toBe(8);

    // Archived, not deleted: gone from the catalogue, still found by id for what references it.
    expect(await repository.archiveProduct(created.id)).toBe(true);
    expect(await repository.archiveProduct(created.id)).toBe(false);
    expect((await repository.findProductsByIds([created.id]))[0]?.archivedAt).toBeInstanceOf(Date);
    expect(await repository.countProducts({ categorySlug: 'tea' })).toBe(0);
    expect(await repository.listProducts({ search: 'Sencha' }, 'NAME_ASC', page)).toEqual({ products: [], total: 0 });
    await expect(repository.reserveStock(randomUUID(), [{ productId: created.id, quantity: 1 }])).rejects.toMatchObject(
      {
        productIds: [created.id],
      },
    );
  });

  it('enforces unique SKUs and category slugs', async () => {
    const repository = createProductRepository(database.prisma, database.reads);
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
    const repository = createProductRepository(database.prisma, database.reads);
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
    // Idempotent: the same reservation again, nothing more taken.
    expect(await repository.reserveStock(order2, [{ productId: a.id, quantity: 2 }])).toEqual(reserved);
    expect((await repository.findProductsByIds([a.id]))[0]?.stock).toBe(0);

    expect(await repository.moveReservation(order2, 'release')).toBe('RELEASED');
    expect(await repository.moveReservation(order2, 'release')).toBe('RELEASED');
    expect(await repository.moveReservation(order2, 'commit')).toBe('RELEASED'); // a late commit changes nothing
    expect((await repository.findProductsByIds([a.id]))[0]?.stock).toBe(2);

    // Releasing first leaves a RELEASED mark, and a late reserve for that order takes nothing.
    const order3 = randomUUID();
    expect(await repository.moveReservation(order3, 'release')).toBe('RELEASED');
    expect((await repository.reserveStock(order3, [{ productId: a.id, quantity: 1 }])).status).toBe('RELEASED');
    expect((await repository.findProductsByIds([a.id]))[0]?.stock).toBe(2);
  });

  it('never releases a committed reservation; only returning gives its units back, once', async () => {
    const repository = createProductRepository(database.prisma, database.reads);
    const base = { description: 'd', priceAmount: 100, priceCurrency: 'EUR' };
    const product = await repository.createProduct({ ...base, sku: 'STOCK-C', name: 'C', stock: 5 });
    const stock = async () => (await repository.findProductsByIds([product.id]))[0]?.stock;
    const orderId = randomUUID();
    await repository.reserveStock(orderId, [{ productId: product.id, quantity: 3 }]);
    expect(await repository.moveReservation(orderId, 'return')).toBe('RESERVED'); // return needs COMMITTED
    expect(await repository.moveReservation(orderId, 'commit')).toBe('COMMITTED');
    expect(await repository.moveReservation(orderId, 'release')).toBe('COMMITTED'); // a stale release: no effect
    expect(await stock()).toBe(2);
    const returned = await Promise.all([
      repository.moveReservation(orderId, 'return'),
      repository.moveReservation(orderId, 'return'),
    ]);
    expect(returned).toEqual(['RETURNED', 'RETURNED']);
    expect(await stock()).toBe(5);
    expect(await repository.moveReservation(randomUUID(), 'commit')).toBeNull(); // nothing to commit
  });
});
