import { groupLoader, rowLoader } from '@shop/subgraph-runtime';
import type { FaqRepository } from './repository.js';

/** Per-request loaders: FAQs by id, and the FAQs of each product, each in one query per tick. */
export function createFaqLoaders(repository: FaqRepository) {
  return {
    faqById: rowLoader(repository.findFaqsByIds, (faq) => faq.id),
    faqsOfProduct: groupLoader(repository.findFaqsByProductIds, (faq) => faq.productId),
  };
}

export type FaqLoaders = ReturnType<typeof createFaqLoaders>;
