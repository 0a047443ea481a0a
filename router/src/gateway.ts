import { ApolloGateway, type GraphQLDataSourceProcessOptions, RemoteGraphQLDataSource } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import type { Fetcher } from '@apollo/utils.fetcher';
import { injectTraceContext } from '@shop/platform';
import type { RouterContext } from './context.js';
import type { FetchObserver, SubgraphFetchPolicy } from './executor/subgraph-client.js';
import { OPERATION_KIND_HEADER, operationKind } from './operation-kind.js';

// Apollo Gateway running the plans itself: the router's executor with ROUTER_EXECUTOR=apollo, kept to compare
// answers and costs with its own (executor/). The same fetch policy, through Apollo's data sources.

/**
 * Forwards the caller's token (subgraphs verify it themselves) and the request id to every subgraph fetch,
 * over Node's keep-alive fetch instead of the gateway's default client (measured ~2x throughput).
 */
class SubgraphDataSource extends RemoteGraphQLDataSource<RouterContext> {
  constructor(
    private readonly serviceName: string,
    private readonly timeoutMs: number,
    private readonly onFetch: FetchObserver,
    config: ConstructorParameters<typeof RemoteGraphQLDataSource<RouterContext>>[0],
  ) {
    super(config);
  }

  /**
   * A subgraph that cannot be reached (down, hung past the timeout) becomes an error for its part of the
   * answer — SERVICE_UNAVAILABLE, with `extensions.serviceName` added by the gateway — not a failed request:
   * the rest of the query still answers.
   */
  override async process(options: GraphQLDataSourceProcessOptions<RouterContext>): Promise<GatewayGraphQLResponse> {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    try {
      const response = await super.process(options);
      this.onFetch(this.serviceName, seconds(), true);
      return response;
    } catch (error) {
      // A subgraph that answered with an HTTP error status (e.g. 401 for UNAUTHENTICATED) still sent GraphQL
      // errors: pass those on as they are. Only a missing answer is SERVICE_UNAVAILABLE.
      const body = (error as { extensions?: { response?: { body?: unknown } } }).extensions?.response?.body;
      const answered =
        typeof body === 'object' && body !== null && Array.isArray((body as GatewayGraphQLResponse).errors);
      this.onFetch(this.serviceName, seconds(), answered);
      if (answered) return body as GatewayGraphQLResponse;
      const timedOut = (error as Error).name === 'TimeoutError';
      // Refused: the connection never opened, so nothing was sent. Anything else (reset mid-request, the process
      // died while working, no answer in time) may have happened after the subgraph acted on the request.
      const refused = (error as { cause?: { code?: unknown } }).cause?.code === 'ECONNREFUSED';
      const reason = timedOut
        ? `did not answer within ${this.timeoutMs} ms`
        : refused
          ? 'is unreachable'
          : 'failed to answer';
      // A mutation that may have reached the subgraph may still finish: the client must not assume either way.
      const outcome =
        !refused && operationKind(options.request.query ?? '', options.request.operationName) === 'mutation'
          ? '; the change may still take effect: retry with the same idempotency key, or check before repeating it'
          : '';
      return {
        errors: [
          {
            message: `the ${this.serviceName} service ${reason}${outcome}`,
            extensions: { code: 'SERVICE_UNAVAILABLE' },
          },
        ],
      } as GatewayGraphQLResponse;
    }
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<RouterContext>): void {
    const headers = request.http?.headers;
    if (!headers) return;
    headers.set(OPERATION_KIND_HEADER, operationKind(request.query ?? '', request.operationName));
    injectTraceContext(headers); // the subgraph's span joins this fetch's (Apollo Gateway's gateway.fetch)
    if (!('requestId' in context)) return;
    headers.set('x-request-id', context.requestId);
    if (context.authorization) headers.set('authorization', context.authorization);
  }
}

/**
 * The supergraph as Apollo Gateway takes it. Gateway-js refuses a supergraph that links security features it
 * does not enforce (`@authenticated`, `@requiresScopes`, `@policy`, linked `for: SECURITY`), so the mark is
 * left out: Apollo Gateway serves the schema without enforcing them, as it would with any unlinked directive.
 * Only our executor enforces them in the router; the subgraphs enforce their own checks either way.
 */
export function forApolloGateway(supergraphSdl: string): string {
  return supergraphSdl.replace(
    /(@link\(url: "https:\/\/specs\.apollo\.dev\/(?:authenticated|requiresScopes|policy)\/v[\d.]+"), for: SECURITY\)/g,
    '$1)',
  );
}

export function createGateway(
  supergraphSdl: string,
  urlOverrides: Record<string, string | undefined>,
  policy: SubgraphFetchPolicy,
  onFetch: FetchObserver = () => undefined,
): ApolloGateway {
  const fetcher = policy.shareIdenticalQueries
    ? sharingIdenticalQueries(subgraphFetcher(policy))
    : subgraphFetcher(policy);
  return new ApolloGateway({
    supergraphSdl: forApolloGateway(supergraphSdl),
    buildService: ({ name, url }) =>
      new SubgraphDataSource(name, policy.timeoutMs, onFetch, { url: urlOverrides[name] ?? url, fetcher }),
  });
}

/**
 * Node's keep-alive fetch with a deadline per subgraph request, and bounded retries with backoff for
 * queries whose connection failed (refused, reset). Never for mutations, which may have run, and never
 * after a timeout, which would only multiply the wait for a hung subgraph.
 */
export function subgraphFetcher({ timeoutMs, retries }: Pick<SubgraphFetchPolicy, 'timeoutMs' | 'retries'>): Fetcher {
  const fetcher = async (url: string, init?: RequestInit): Promise<Response> => {
    const { kind, headers } = operationKindOf(init);
    const mutation = kind !== 'query';
    for (let attempt = 0; ; attempt++) {
      try {
        return await fetch(url, { ...init, headers, signal: deadline(timeoutMs) });
      } catch (error) {
        const timedOut = (error as Error).name === 'TimeoutError';
        if (mutation || timedOut || attempt >= retries) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50 * 3 ** attempt));
      }
    }
  };
  return fetcher as unknown as Fetcher;
}

/**
 * A signal that aborts with a TimeoutError after `ms`, like AbortSignal.timeout, without its cost per call
 * (it makes every signal transferable between threads: ~1 % of the router's CPU under load).
 */
function deadline(ms: number): AbortSignal {
  const controller = new AbortController();
  setTimeout(() => controller.abort(new DOMException(`no answer within ${ms} ms`, 'TimeoutError')), ms).unref();
  return controller.signal;
}

interface SharedAnswer {
  status: number;
  statusText: string;
  headers: [string, string][];
  body: string;
}

/**
 * Identical subgraph queries in flight at the same moment — same subgraph, same body, same caller's token —
 * share one fetch and its answer (as Hive Gateway and Apollo Router do): under load many clients ask the
 * same thing, and one answer serves all who asked while it was being computed. Mutations are never shared.
 * The subgraph logs the request id of the request that fetched.
 */
export function sharingIdenticalQueries(fetcher: Fetcher): Fetcher {
  const inflight = new Map<string, Promise<SharedAnswer>>();
  const shared = async (url: string, init?: RequestInit): Promise<Response> => {
    const body = init?.body;
    const { kind, headers } = operationKindOf(init);
    if (typeof body !== 'string' || kind !== 'query') return fetcher(url, init as never) as unknown as Response;
    const authorization = headers.get('authorization') ?? '';
    const key = `${url}\n${authorization}\n${body}`;
    let answer = inflight.get(key);
    if (!answer) {
      answer = (fetcher(url, init as never) as unknown as Promise<Response>)
        .then(async (response) => ({
          status: response.status,
          statusText: response.statusText,
          headers: [...response.headers.entries()],
          body: await response.text(),
        }))
        .finally(() => inflight.delete(key));
      inflight.set(key, answer);
    }
    const { body: text, ...head } = await answer;
    return new Response(text, head);
  };
  return shared as unknown as Fetcher;
}

/** The operation kind the router marked a subgraph request with (unmarked: not a query), and its headers. */
function operationKindOf(init: RequestInit | undefined) {
  const headers = new Headers(init?.headers as ConstructorParameters<typeof Headers>[0]);
  const kind = headers.get(OPERATION_KIND_HEADER);
  headers.delete(OPERATION_KIND_HEADER);
  return { kind, headers };
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
