import { DateTime } from '@shop/subgraph-runtime';
import type { Resolvers } from './schema.generated.js';

/** Thin: GraphQL shapes in, service calls out. Typed by the code generated from schema.graphql. */
export const resolvers: Resolvers = {
  DateTime,
  Query: {
    faq: (_, { id }, { faqs }) => faqs.faq(id),
    faqs: (_, args, { faqs, pageRequest }, info) => faqs.faqs(args, pageRequest(args, 'faqs', info)),
  },
  Mutation: {
    createFaq: (_, { input }, { faqs }) => faqs.createFaq(input),
    updateFaq: (_, { id, input }, { faqs }) => faqs.updateFaq(id, input),
    deleteFaq: (_, { id }, { faqs }) => faqs.deleteFaq(id),
  },
  Faq: {
    __resolveReference: (reference, { loaders }) => loaders.faqById.load(reference.id),
    product: (faq) => (faq.productId ? { id: faq.productId } : null),
  },
  Product: {
    // FAQ contributes Product.faqs: the reference is all it needs.
    __resolveReference: (reference) => reference,
    faqs: (product, _, { faqs }) => faqs.faqsOfProduct(product.id),
  },
};
