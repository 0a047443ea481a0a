import { randomUUID } from 'node:crypto';
import { databaseKind, migratedDatabase } from '@shop/subgraph-runtime/testing';
import { describe, expect, it } from 'vitest';
import type { PrismaClient } from '../generated/prisma/client.js';
import { createFaqRepository } from '../repository.js';
import subgraph from '../subgraph.js';

const database = migratedDatabase<PrismaClient>(subgraph);

describe(`faq database on ${databaseKind}`, () => {
  it('creates, reads, searches, updates and deletes FAQs', async () => {
    const repository = createFaqRepository(database.prisma, database.reads);
    const productId = randomUUID();
    const faq = await repository.createFaq({
      question: 'Is it waterproof?',
      answer: 'Splash-proof only.',
      topic: 'product',
      productId,
    });
    await repository.createFaq({ question: 'Do you ship abroad?', answer: 'Within the EU.', topic: 'shipping' });
    expect((await repository.findFaqsByIds([faq.id]))[0]?.question).toBe('Is it waterproof?');
    expect((await repository.findFaqsByProductIds([productId])).map((row) => row.id)).toEqual([faq.id]);
    expect(await repository.countFaqs({ search: 'WATERPROOF' })).toBe(1);
    expect(await repository.countFaqs({ topic: 'shipping' })).toBe(1);
    expect((await repository.updateFaq(faq.id, { answer: 'Yes, IP67.' })).answer).toBe('Yes, IP67.');
    expect(await repository.deleteFaq(faq.id)).toBe(true);
    expect(await repository.findFaqsByIds([faq.id])).toEqual([]);
  });

  it('rejects a malformed product id at the database (uuid column)', async () => {
    await expect(
      database.prisma.faq.create({ data: { question: 'q', answer: 'a', topic: 't', productId: 'not-a-uuid' } }),
    ).rejects.toThrow();
  });
});

describe('faq ids', () => {
  it('are unique', async () => {
    const repository = createFaqRepository(database.prisma, database.reads);
    const faq = await repository.createFaq({ question: 'q', answer: 'a', topic: 't' });
    await expect(repository.createFaq({ id: faq.id, question: 'q2', answer: 'a2', topic: 't' })).rejects.toMatchObject({
      code: 'P2002',
    });
  });
});
