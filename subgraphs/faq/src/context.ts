import type { Connection, RequestBase } from '@shop/subgraph-runtime';
import type { FaqLoaders } from './loaders.js';
import type { Faq } from './repository.js';
import type { FaqService } from './service.js';

/** What every FAQ resolver receives. */
export interface FaqContext extends RequestBase {
  loaders: FaqLoaders;
  faqs: FaqService;
}

/** Products are owned by the products service; here a product is its id. */
export interface ProductReference {
  id: string;
}

export type FaqConnectionRow = Connection<Faq>;
