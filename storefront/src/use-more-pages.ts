import { useState } from 'react';
import type { GraphQLErrorShape, Result } from './graphql-client.js';

interface Connection<Edge> {
  edges: Edge[];
  pageInfo: { hasNextPage: boolean; endCursor?: string | null };
}

/**
 * "Load more" for a list whose first page a page's query brought: the next pages follow its cursor and are kept
 * with the first page they extend, so new variables (a new first page) start the list again.
 */
export function useMorePages<Data, Edge>(
  result: Result<Data> | null,
  connectionOf: (data: Data) => Connection<Edge> | undefined,
  fetchPage: (after: string) => Promise<Result<Data>>,
) {
  const [loaded, setLoaded] = useState<{
    firstPage: Result<Data>;
    edges: Edge[];
    pageInfo: Connection<Edge>['pageInfo'];
    errors: GraphQLErrorShape[] | string;
  }>();
  const [loading, setLoading] = useState(false);
  const first = result?.data ? connectionOf(result.data) : undefined;
  const more = loaded && loaded.firstPage === result ? loaded : undefined;
  const pageInfo = more?.pageInfo ?? first?.pageInfo;

  async function loadMore() {
    if (!result || !pageInfo?.endCursor) return;
    const shown = { firstPage: result, edges: more?.edges ?? [], pageInfo };
    setLoading(true);
    try {
      const page = await fetchPage(pageInfo.endCursor);
      const next = page.data ? connectionOf(page.data) : undefined;
      setLoaded(
        next
          ? { ...shown, edges: [...shown.edges, ...next.edges], pageInfo: next.pageInfo, errors: page.errors }
          : { ...shown, errors: page.errors },
      );
    } catch (error) {
      setLoaded({ ...shown, errors: (error as Error).message });
    } finally {
      setLoading(false);
    }
  }

  return {
    edges: [...(first?.edges ?? []), ...(more?.edges ?? [])],
    hasMore: pageInfo?.hasNextPage === true,
    loadMore,
    loading,
    errors: more?.errors ?? [],
  };
}
