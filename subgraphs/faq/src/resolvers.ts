import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { DateTime, pageRequest, type RequestBase } from '@shop/subgraph-kit';
import type { FaqLoaders } from './loaders.js';
import type { Faq } from './repository.js';
import type { FaqFilter, FaqInput, FaqService } from './service.js';

export interface FaqContext extends RequestBase {
  loaders: FaqLoaders;
  faqs: FaqService;
}

/** Thin: GraphQL shapes in, service calls out. */
export const resolvers: GraphQLResolverMap<FaqContext> = {
  DateTime,
  Query: {
    faq: (_: unknown, { id }: { id: string }, { faqs }) => faqs.faq(id),
    faqs: (_: unknown, args: FaqFilter & { first?: number | null; after?: string | null }, { faqs }) =>
      faqs.faqs(args, pageRequest(args)),
  },
  Mutation: {
    createFaq: (_: unknown, { input }: { input: Required<FaqInput> }, { faqs }) => faqs.createFaq(input),
    updateFaq: (_: unknown, { id, input }: { id: string; input: FaqInput }, { faqs }) => faqs.updateFaq(id, input),
    deleteFaq: (_: unknown, { id }: { id: string }, { faqs }) => faqs.deleteFaq(id),
  },
  Faq: {
    __resolveReference: (reference: { id: string }, { loaders }: FaqContext) => loaders.faqById.load(reference.id),
    product: (faq: Faq) => (faq.productId ? { __typename: 'Product', id: faq.productId } : null),
  },
  Product: {
    // FAQ contributes Product.faqs: the reference is all it needs.
    __resolveReference: (reference: { id: string }) => reference,
    faqs: (product: { id: string }, _: unknown, { faqs }) => faqs.faqsOfProduct(product.id),
  },
};
