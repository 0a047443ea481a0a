import { injectTraceContext, userError } from '@shop/platform';

/**
 * Another subgraph gave no usable answer: unreachable, timed out, failed unexpectedly, or answered without
 * data. For a write, whether it took effect is unknown.
 */
export class SubgraphUnavailable extends Error {
  override readonly name = 'SubgraphUnavailable';
}

/** The error a client gets when a service its operation needs gave no usable answer. */
export const serviceUnavailable = (message: string) => userError('SERVICE_UNAVAILABLE', message);

export interface SubgraphClientOptions {
  /** The other subgraph's name, for messages ("products service unreachable"). */
  service: string;
  url: string;
  /** Presented as `x-internal-token`: this call comes from a service of the supergraph. */
  internalToken: string;
  /** Codes that mean "the other service decided" (e.g. OUT_OF_STOCK): they come back as the same coded errors. */
  definiteCodes: ReadonlySet<string>;
  timeoutMs?: number;
}

/**
 * A direct call from one subgraph to another (not through the router), as the calling service, with the
 * client's request id: the answer's data, a coded error the other service decided, or SubgraphUnavailable.
 */
export function createSubgraphClient({
  service,
  url,
  internalToken,
  definiteCodes,
  timeoutMs = 5_000,
}: SubgraphClientOptions) {
  return async function call<Data>(query: string, variables: object, requestId: string): Promise<Data> {
    let response: Response;
    try {
      const headers = new Headers({
        'content-type': 'application/json',
        'x-internal-token': internalToken,
        'x-request-id': requestId,
      });
      injectTraceContext(headers);
      response = await fetch(url, {
        method: 'POST',
        headers,
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new SubgraphUnavailable(`${service} service unreachable: ${(error as Error).message}`);
    }
    const body = (await response.json().catch(() => null)) as {
      data?: Data;
      errors?: { message: string; extensions?: { code?: string } }[];
    } | null;
    const failure = body?.errors?.[0];
    if (failure) {
      const code = failure.extensions?.code ?? '';
      if (definiteCodes.has(code)) throw userError(code, failure.message, failure.extensions);
      throw new SubgraphUnavailable(`${service} service failed: ${failure.message}`);
    }
    if (!body?.data) throw new SubgraphUnavailable(`${service} service answered HTTP ${response.status} without data`);
    return body.data;
  };
}
