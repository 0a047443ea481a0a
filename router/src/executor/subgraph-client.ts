import { Pool } from 'undici';

/**
 * How the router calls subgraphs: one undici `Pool` per subgraph (keep-alive, a bounded number of connections,
 * undici's own deadlines), a body sent as the string the executor built, one `JSON.parse` per answer.
 */
export interface SubgraphFetchPolicy {
  timeoutMs: number;
  /** Extra attempts for a query whose connection failed (never a mutation, never after a timeout). */
  retries: number;
  /** Identical queries in flight at once (same subgraph, body and token) share one fetch. */
  shareIdenticalQueries: boolean;
  /** Connections per subgraph. */
  connections: number;
}

export interface SubgraphRequest {
  body: string;
  /** Mutations are never retried or shared. */
  mutation: boolean;
  headers: Record<string, string>;
  /** The propagated client headers among them: identical queries are shared only when these match too. */
  vary?: string;
}

export interface SubgraphAnswer {
  data?: Record<string, unknown> | null;
  errors?: SubgraphError[];
  extensions?: Record<string, unknown>;
  /** How long the answer may be cached, from its Cache-Control header (none: not at all). */
  cacheHint?: CacheHint;
}

export interface CacheHint {
  maxAge: number;
  scope?: 'PUBLIC' | 'PRIVATE';
}

export interface SubgraphError {
  message?: string;
  path?: (string | number)[];
  extensions?: Record<string, unknown>;
}

/** Hears every subgraph fetch: how long it took, and whether the subgraph answered at all. */
export type FetchObserver = (subgraph: string, seconds: number, answered: boolean) => void;

interface RawAnswer {
  status: number;
  text: string;
  cacheControl: string | undefined;
}

export interface SubgraphClient {
  send(subgraph: string, request: SubgraphRequest): Promise<SubgraphAnswer>;
  close(): Promise<void>;
}

export function createSubgraphClient(
  urls: Record<string, string>,
  policy: SubgraphFetchPolicy,
  onFetch: FetchObserver,
): SubgraphClient {
  const targets = new Map(
    Object.entries(urls).map(([name, url]) => {
      const { origin, pathname, search } = new URL(url);
      const pool = new Pool(origin, {
        connections: policy.connections,
        keepAliveTimeout: 30_000,
        headersTimeout: policy.timeoutMs,
        bodyTimeout: policy.timeoutMs,
        connectTimeout: Math.min(policy.timeoutMs, 3_000),
      });
      return [name, { pool, path: `${pathname}${search}` }] as const;
    }),
  );
  const inflight = new Map<string, Promise<RawAnswer>>();
  let closing: Promise<void> | null = null;

  async function post(subgraph: string, request: SubgraphRequest): Promise<RawAnswer> {
    const target = targets.get(subgraph);
    if (!target) throw new Error(`no subgraph named ${subgraph}`);
    for (let attempt = 0; ; attempt++) {
      try {
        const response = await target.pool.request({
          path: target.path,
          method: 'POST',
          headers: request.headers,
          body: request.body,
        });
        const cacheControl = response.headers['cache-control'];
        return {
          status: response.statusCode,
          text: await response.body.text(),
          cacheControl: Array.isArray(cacheControl) ? cacheControl.join(', ') : cacheControl,
        };
      } catch (error) {
        if (request.mutation || timedOut(error) || attempt >= policy.retries) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50 * 3 ** attempt));
      }
    }
  }

  /** The first caller gets the text it fetched; a caller that joins an identical fetch parses its own copy. */
  function fetchShared(subgraph: string, request: SubgraphRequest): Promise<RawAnswer> {
    if (request.mutation || !policy.shareIdenticalQueries) return post(subgraph, request);
    const key = `${subgraph}\n${request.headers.authorization ?? ''}\n${request.vary ?? ''}\n${request.body}`;
    const joined = inflight.get(key);
    if (joined) return joined;
    const flight = post(subgraph, request).finally(() => inflight.delete(key));
    inflight.set(key, flight);
    return flight;
  }

  return {
    async send(subgraph, request) {
      const started = performance.now();
      const seconds = () => (performance.now() - started) / 1000;
      let raw: RawAnswer;
      try {
        raw = await fetchShared(subgraph, request);
      } catch (error) {
        onFetch(subgraph, seconds(), false);
        return unavailable(subgraph, error, request.mutation, policy.timeoutMs);
      }
      const answer = parseAnswer(raw);
      // A subgraph that answered with an HTTP error status (e.g. 401 for UNAUTHENTICATED) still sent GraphQL
      // errors: those pass on as they are. Only a missing answer is SERVICE_UNAVAILABLE.
      const answered = answer !== null && (raw.status < 300 || Array.isArray(answer.errors));
      onFetch(subgraph, seconds(), answered);
      if (!answered || !answer) return unavailable(subgraph, null, request.mutation, policy.timeoutMs);
      answer.cacheHint = cacheHintOf(raw.cacheControl);
      return answer;
    },
    close() {
      // Once, however often it is asked (Apollo Server stops its gateway; so may its owner).
      closing ??= Promise.all([...targets.values()].map(({ pool }) => pool.close())).then(() => undefined);
      return closing;
    },
  };
}

/**
 * A subgraph's Cache-Control header as a hint for the whole answer (Apollo Gateway's rule): no max-age means
 * not cacheable; `private`/`public` set the scope.
 */
function cacheHintOf(header: string | undefined): CacheHint {
  const hint: CacheHint = { maxAge: 0 };
  for (const directive of (header ?? '').split(',')) {
    const [name, value] = directive.trim().toLowerCase().split('=');
    if (name === 'max-age' && value && /^[0-9]+$/.test(value)) hint.maxAge = Number(value);
    else if (name === 'private') hint.scope = 'PRIVATE';
    else if (name === 'public') hint.scope = 'PUBLIC';
  }
  return hint;
}

function parseAnswer({ text }: RawAnswer): SubgraphAnswer | null {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as SubgraphAnswer) : null;
  } catch {
    return null;
  }
}

const timedOut = (error: unknown) => {
  const code = (error as { code?: unknown }).code;
  return code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
};

/**
 * A subgraph that cannot be reached (down, hung past the deadline) becomes an error for its part of the answer,
 * SERVICE_UNAVAILABLE, not a failed request: the rest of the query still answers.
 */
function unavailable(subgraph: string, error: unknown, mutation: boolean, timeoutMs: number): SubgraphAnswer {
  // Refused: the connection never opened, so nothing was sent. Anything else (reset mid-request, the process
  // died while working, no answer in time) may have happened after the subgraph acted on the request.
  const refused = (error as { code?: unknown } | null)?.code === 'ECONNREFUSED';
  const reason =
    error === null
      ? 'failed to answer'
      : timedOut(error)
        ? `did not answer within ${timeoutMs} ms`
        : refused
          ? 'is unreachable'
          : 'failed to answer';
  // A mutation that may have reached the subgraph may still finish: the client must not assume either way.
  const outcome =
    mutation && !refused
      ? '; the change may still take effect: retry with the same idempotency key, or check before repeating it'
      : '';
  return {
    errors: [{ message: `the ${subgraph} service ${reason}${outcome}`, extensions: { code: 'SERVICE_UNAVAILABLE' } }],
  };
}
