import { createSubgraphClient } from '@shop/subgraph-runtime';

const EXISTS = `query Exists($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Product { id } }
}`;

/**
 * The FAQ service's one question to the products subgraph, asked directly: does a product exist? An FAQ may
 * only be about a product that does, or its product would read as missing forever.
 */
export function createProductsClient(url: string, internalToken: string) {
  const call = createSubgraphClient({ service: 'products', url, internalToken, definiteCodes: new Set() });
  return {
    exists: async (productId: string, requestId: string) => {
      const representations = [{ __typename: 'Product', id: productId }];
      const { _entities } = await call<{ _entities: (unknown | null)[] }>(EXISTS, { representations }, requestId);
      return _entities[0] != null;
    },
  };
}

export type ProductsClient = ReturnType<typeof createProductsClient>;
