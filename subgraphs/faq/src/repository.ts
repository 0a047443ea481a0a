import {
  type Cursor,
  containsPattern,
  containsText,
  type PreparedReads,
  type ReadStatement,
} from '@shop/subgraph-runtime';
import type { Faq, Prisma, PrismaClient } from './generated/prisma/client.js';

export type { Faq } from './generated/prisma/client.js';

export interface FaqQuery {
  search?: string | undefined;
  topic?: string | undefined;
  productId?: string | undefined;
}

/** An FAQ's columns as the row type names them, on `f`. */
const FAQ_COLUMNS = `f."id", f."question", f."answer", f."topic", f."product_id" AS "productId",
  f."created_at" AS "createdAt", f."updated_at" AS "updatedAt"`;

const FAQS_BY_IDS: ReadStatement = {
  name: 'faqs:by-ids',
  text: `SELECT ${FAQ_COLUMNS} FROM "faqs" f WHERE f."id" = ANY($1::uuid[])`,
};
const FAQS_BY_PRODUCTS: ReadStatement = {
  name: 'faqs:by-products',
  text: `SELECT ${FAQ_COLUMNS} FROM "faqs" f WHERE f."product_id" = ANY($1::uuid[]) ORDER BY f."created_at", f."id"`,
};

/**
 * A page of FAQs, newest first, as one statement: `take` rows after the cursor and (`withCount`) the count of
 * every match (before the cursor) as a scalar subquery. Each shape of filters is its own prepared statement.
 */
function faqPageStatement(query: FaqQuery, after: Cursor | null, take: number, withCount: boolean) {
  const params: unknown[] = [];
  const bind = (value: unknown, type: string) => {
    params.push(value);
    return `$${params.length}::${type}`;
  };
  const shape: string[] = [];
  const conditions = ['TRUE'];
  if (query.search !== undefined) {
    const pattern = bind(containsPattern(query.search), 'text');
    conditions.push(`(f."question" ILIKE ${pattern} OR f."answer" ILIKE ${pattern})`);
    shape.push('search');
  }
  if (query.topic !== undefined) {
    conditions.push(`f."topic" = ${bind(query.topic, 'text')}`);
    shape.push('topic');
  }
  if (query.productId !== undefined) {
    conditions.push(`f."product_id" = ${bind(query.productId, 'uuid')}`);
    shape.push('product');
  }
  const matching = conditions.join(' AND ');
  const count = withCount ? `, (SELECT count(*)::int FROM "faqs" f WHERE ${matching}) AS "_total"` : '';
  if (withCount) shape.push('count');
  let where = matching;
  if (after) {
    where += ` AND (f."created_at", f."id") < (${bind(after.value, 'timestamptz')}, ${bind(after.id, 'uuid')})`;
    shape.push('after');
  }
  const text = `SELECT ${FAQ_COLUMNS}${count} FROM "faqs" f WHERE ${where}
    ORDER BY f."created_at" DESC, f."id" DESC LIMIT ${bind(take, 'int4')}`;
  return { statement: { name: `faqs:page:${shape.join('+')}`, text }, params };
}

/** The only code that talks to the FAQ database. */
export function createFaqRepository(prisma: PrismaClient, reads: PreparedReads) {
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
    findFaqsByIds: (ids: string[]) => reads.query<Faq>(FAQS_BY_IDS, [ids]),
    /** Every FAQ of these products, oldest first, in one query. */
    findFaqsByProductIds: (productIds: string[]) => reads.query<Faq>(FAQS_BY_PRODUCTS, [productIds]),
    /** One page in one statement, with the count of every match when asked (null: empty page after a cursor). */
    listFaqs: async (query: FaqQuery, page: { after: Cursor | null; take: number; withCount: boolean }) => {
      const { statement, params } = faqPageStatement(query, page.after, page.take, page.withCount);
      const rows = await reads.query<Faq & { _total?: number }>(statement, params);
      const total = rows.length > 0 ? (rows[0]?._total ?? null) : page.after ? null : 0;
      return { faqs: rows.map(({ _total, ...faq }) => faq), total };
    },
    countFaqs: (query: FaqQuery) => prisma.faq.count({ where: whereOf(query) }),
    createFaq: (data: Prisma.FaqUncheckedCreateInput) => prisma.faq.create({ data }),
    updateFaq: (id: string, data: Prisma.FaqUncheckedUpdateInput) => prisma.faq.update({ where: { id }, data }),
    deleteFaq: async (id: string) => (await prisma.faq.deleteMany({ where: { id } })).count > 0,
  };
}

export type FaqRepository = ReturnType<typeof createFaqRepository>;
