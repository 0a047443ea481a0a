import { afterCursor, type Cursor, containsText } from '@shop/subgraph-runtime';
import type { Prisma, PrismaClient } from './generated/prisma/client.js';

export type { Faq } from './generated/prisma/client.js';

export interface FaqQuery {
  search?: string | undefined;
  topic?: string | undefined;
  productId?: string | undefined;
}

/** The only code that talks to the FAQ database. */
export function createFaqRepository(prisma: PrismaClient) {
  const whereOf = (query: FaqQuery): Prisma.FaqWhereInput => ({
    ...(query.search
      ? {
          OR: [{ question: containsText(query.search) }, { answer: containsText(query.search) }],
        }
      : {}),
    ...(query.topic !== undefined ? { topic: query.topic } : {}),
    ...(query.productId !== undefined ? { productId: query.productId } : {}),
  });
  return {
    findFaqsByIds: (ids: string[]) => prisma.faq.findMany({ where: { id: { in: ids } } }),
    /** Every FAQ of these products, oldest first, in one query. */
    findFaqsByProductIds: (productIds: string[]) =>
      prisma.faq.findMany({ where: { productId: { in: productIds } }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] }),
    listFaqs: (query: FaqQuery, after: Cursor | null, take: number) =>
      prisma.faq.findMany({
        where: { AND: [whereOf(query), afterCursor('createdAt', 'desc', after) as Prisma.FaqWhereInput] },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take,
      }),
    countFaqs: (query: FaqQuery) => prisma.faq.count({ where: whereOf(query) }),
    createFaq: (data: Prisma.FaqUncheckedCreateInput) => prisma.faq.create({ data }),
    updateFaq: (id: string, data: Prisma.FaqUncheckedUpdateInput) => prisma.faq.update({ where: { id }, data }),
    deleteFaq: async (id: string) => (await prisma.faq.deleteMany({ where: { id } })).count > 0,
  };
}

export type FaqRepository = ReturnType<typeof createFaqRepository>;
