import { defineServiceDatabase } from '@shop/subgraph-kit';
import { seedFaqs, seedId } from '../../../prisma/seed/data.js';
import { PrismaClient } from './generated/prisma/client.js';

export const faqDatabase = defineServiceDatabase({
  service: 'faq',
  // Typed as the plain client: query events are an opt-in for tests, not part of the service's API.
  createClient: (adapter, logQueries): PrismaClient =>
    new PrismaClient({ adapter, log: logQueries ? [{ emit: 'event', level: 'query' }] : [] }),
  seed: async (prisma) => {
    await prisma.faq.createMany({
      data: seedFaqs.map((faq, index) => ({
        id: seedId('faq', faq.key),
        question: faq.question,
        answer: faq.answer,
        topic: faq.topic,
        productId: faq.sku ? seedId('product', faq.sku) : null,
        createdAt: new Date(Date.UTC(2026, 6, 1 + index)),
      })),
      skipDuplicates: true,
    });
  },
});
