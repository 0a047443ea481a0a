import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharingIdenticalQueries, subgraphFetcher } from '../gateway.js';
import { OPERATION_KIND_HEADER, operationKind } from '../operation-kind.js';

/**
 * The router's subgraph fetch policy, against a real HTTP server that can drop, hang or answer slowly:
 * retries only for queries whose connection failed (never mutations, never after a timeout), and in-flight
 * sharing only for identical queries of the same caller (never mutations).
 */
type Behaviour = 'answer' | 'drop-first' | 'hang' | 'slow';
let behaviour: Behaviour = 'answer';
let received: { kindHeader: string | undefined; authorization: string | undefined }[] = [];
let server: http.Server;
let url: string;

beforeAll(async () => {
  server = http.createServer((request, response) => {
    received.push({
      kindHeader: request.headers[OPERATION_KIND_HEADER] as string | undefined,
      authorization: request.headers.authorization,
    });
    const answer = () => response.end(JSON.stringify({ data: { ok: true } }));
    if (behaviour === 'drop-first' && received.length === 1) request.socket.destroy();
    else if (behaviour === 'slow') setTimeout(answer, 100);
    else if (behaviour !== 'hang') answer();
    // 'hang': never answers
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const send = (fetcher: ReturnType<typeof subgraphFetcher>, query: string, authorization = 'Bearer a') =>
  (fetcher as unknown as (url: string, init: RequestInit) => Promise<Response>)(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization, [OPERATION_KIND_HEADER]: operationKind(query) },
    body: JSON.stringify({ query }),
  });

const QUERY = '{ products { id } }';
const MUTATION = 'mutation { placeOrder(input: { items: [] }) { id } }';

describe('which operations are mutations', () => {
  it('is read from the document, not guessed from its text', () => {
    expect(operationKind(QUERY)).toBe('query');
    expect(operationKind(MUTATION)).toBe('mutation');
    expect(operationKind('# mutation in a comment\n{ a }')).toBe('query');
    expect(operationKind('{ search(text: "mutation { x }") }')).toBe('query');
    expect(operationKind('fragment F on Mutation { a }\nmutation M { ...F }')).toBe('mutation');
    expect(operationKind('query Q { a } mutation M { b }', 'M')).toBe('mutation');
    expect(operationKind('not graphql at all')).toBe('mutation'); // unknown: the cautious choice
  });
});

describe('retries', () => {
  it('retries a query whose connection was dropped, and never sends the marker header on', async () => {
    behaviour = 'drop-first';
    received = [];
    const response = await send(subgraphFetcher({ timeoutMs: 2000, retries: 2 }), QUERY);
    expect(response.ok).toBe(true);
    expect(received).toHaveLength(2);
    expect(received.every((request) => request.kindHeader === undefined)).toBe(true);
  });

  it('never retries a mutation, which may have run', async () => {
    behaviour = 'drop-first';
    received = [];
    await expect(send(subgraphFetcher({ timeoutMs: 2000, retries: 2 }), MUTATION)).rejects.toThrow();
    expect(received).toHaveLength(1);
  });

  it('never retries after a timeout, which would only multiply the wait', async () => {
    behaviour = 'hang';
    received = [];
    await expect(send(subgraphFetcher({ timeoutMs: 150, retries: 2 }), QUERY)).rejects.toMatchObject({
      name: 'TimeoutError',
    });
    expect(received).toHaveLength(1);
  });
});

describe('sharing identical in-flight queries', () => {
  it('shares one fetch among identical queries of one caller, not across callers, never for mutations', async () => {
    behaviour = 'slow';
    const fetcher = sharingIdenticalQueries(subgraphFetcher({ timeoutMs: 2000, retries: 0 }));
    received = [];
    const same = await Promise.all([send(fetcher, QUERY), send(fetcher, QUERY), send(fetcher, QUERY)]);
    expect(await Promise.all(same.map((response) => response.json()))).toEqual(Array(3).fill({ data: { ok: true } }));
    expect(received).toHaveLength(1);

    received = [];
    await Promise.all([send(fetcher, QUERY, 'Bearer a'), send(fetcher, QUERY, 'Bearer b')]);
    expect(received.map((request) => request.authorization).sort()).toEqual(['Bearer a', 'Bearer b']);

    received = [];
    await Promise.all([send(fetcher, MUTATION), send(fetcher, MUTATION)]);
    expect(received).toHaveLength(2);
  });
});
