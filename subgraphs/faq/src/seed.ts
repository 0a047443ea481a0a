import { seedFaqs, seedId } from '../../../prisma/seed/data.js';
import type { PrismaClient } from './generated/prisma/client.js';

/** The development data set's questions and answers. */
export async function seedQuestions(prisma: PrismaClient): Promise<void> {
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
}
