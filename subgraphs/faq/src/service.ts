import { badUserInput, notFound, requireAdmin, userError } from '@shop/platform';
import {
  type PageRequest,
  type RequestBase,
  readsList,
  SubgraphUnavailable,
  serviceUnavailable,
  toConnection,
} from '@shop/subgraph-runtime';
import { faqListReads, productFaqsReads } from './cache.js';
import type { Prisma } from './generated/prisma/client.js';
import type { FaqLoaders } from './loaders.js';
import type { ProductsClient } from './products-client.js';
import type { FaqRepository } from './repository.js';

export interface FaqInput {
  question?: string | null;
  answer?: string | null;
  topic?: string | null;
  productId?: string | null;
}

export interface FaqFilter {
  search?: string | null;
  topic?: string | null;
  productId?: string | null;
}

const LIMITS = { question: 500, answer: 5000, topic: 50, search: 200 } as const;

/** FAQ rules: validation, admin-only writes, and only about products that exist (asked of products). */
export function createFaqService(
  repository: FaqRepository,
  loaders: FaqLoaders,
  products: ProductsClient,
  request: RequestBase,
) {
  const { viewer } = request;
  async function validInput(input: FaqInput): Promise<Prisma.FaqUncheckedUpdateInput> {
    const data: Prisma.FaqUncheckedUpdateInput = {};
    for (const field of ['question', 'answer', 'topic'] as const) {
      const value = input[field];
      if (value === undefined) continue;
      const text = value?.trim() ?? '';
      if (text === '') throw badUserInput(`${field} cannot be empty`, field);
      if (text.length > LIMITS[field]) throw badUserInput(`${field} is limited to ${LIMITS[field]} characters`, field);
      data[field] = field === 'topic' ? text.toLowerCase() : text;
    }
    if (input.productId) await expectProduct(input.productId);
    if (input.productId !== undefined) data.productId = input.productId;
    return data;
  }

  /** NOT_FOUND unless the products service knows the product (archived ones count: they still resolve). */
  async function expectProduct(productId: string): Promise<void> {
    const exists = await products.exists(productId, request.requestId).catch((error: unknown) => {
      if (error instanceof SubgraphUnavailable) throw serviceUnavailable(`${error.message}; the FAQ was not saved`);
      throw error;
    });
    if (!exists) {
      throw userError('NOT_FOUND', `product ${productId} does not exist`, { field: 'input.productId', id: productId });
    }
  }

  return {
    faq: (id: string) => loaders.faqById.load(id),
    faqs: async (filter: FaqFilter, page: PageRequest) => {
      const search = filter.search?.trim();
      if (search && search.length > LIMITS.search)
        throw badUserInput(`search is limited to ${LIMITS.search} characters`, 'search');
      const query = {
        search: search || undefined,
        topic: filter.topic ?? undefined,
        productId: filter.productId ?? undefined,
      };
      const { faqs, total } = await repository.listFaqs(query, {
        after: page.after,
        take: page.first + 1,
        withCount: page.withCount,
      });
      const count = () => (total !== null ? Promise.resolve(total) : repository.countFaqs(query));
      return readsList(
        toConnection(faqs, page, (faq) => faq.createdAt, count, loaders.faqById),
        faqListReads(query),
      );
    },
    faqsOfProduct: async (productId: string) =>
      readsList(await loaders.faqsOfProduct.load(productId), productFaqsReads(productId)),

    createFaq: async (input: FaqInput) => {
      requireAdmin(viewer);
      const faq = await repository.createFaq((await validInput(input)) as Prisma.FaqUncheckedCreateInput);
      return faq;
    },
    updateFaq: async (id: string, input: FaqInput) => {
      requireAdmin(viewer);
      if (!(await loaders.faqById.load(id))) throw notFound('FAQ', id);
      return repository.updateFaq(id, await validInput(input));
    },
    deleteFaq: async (id: string) => {
      requireAdmin(viewer);
      return repository.deleteFaq(id);
    },
  };
}

export type FaqService = ReturnType<typeof createFaqService>;
