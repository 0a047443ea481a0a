import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ApolloServer, type BaseContext, HeaderMap } from '@apollo/server';
import { StartupError } from './startup-error.js';
import { recordResponseStatus, withServerSpan } from './tracing.js';

export const MAX_BODY_BYTES = 1024 * 1024;
const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** The request id a caller sent (if sane) or a new one; echoed in `x-request-id` and logged on every line. */
export function requestIdOf(request: IncomingMessage): string {
  const sent = request.headers['x-request-id'];
  return typeof sent === 'string' && REQUEST_ID.test(sent) ? sent : randomUUID();
}

export type Route = (request: IncomingMessage, response: ServerResponse) => void | Promise<void>;

export interface GraphQLHttpOptions<Context extends BaseContext> {
  apollo: ApolloServer<Context>;
  /** Builds the per-request context (loaders, identity, logger) once the body is read. */
  context: (request: IncomingMessage, requestId: string) => Promise<Context>;
  /** Extra `GET` routes by path, e.g. /health. */
  routes?: Record<string, Route>;
  /** Where GraphQL is served; the first is named in "no route" answers. Default: /graphql. */
  graphqlPaths?: string[];
  /**
   * Admits (possibly rewriting) or refuses a GraphQL request before Apollo sees it, e.g. a safelist. Gets
   * the JSON body, or for GET the query parameters as one object.
   */
  admit?: (request: Record<string, unknown>) => Admission;
  /**
   * The payloads that follow a request's answer, when it has some (incremental delivery, `@defer`): the answer
   * then goes out as `multipart/mixed` (deferSpec=20220824), Apollo's answer first, each later payload (a JSON
   * text) as soon as it comes.
   */
  laterPayloads?: (context: Context) => AsyncIterable<string> | null;
  /** GraphQL over Server-Sent Events (`eventStreamHandler`): requests at a GraphQL path that accept an event stream. */
  eventStream?: Route;
}

export type Admission =
  | { ok: true; body: Record<string, unknown> }
  | { ok: false; status: number; code: string; message: string };

/**
 * Node's HTTP server in front of Apollo Server: request ids, body limits and plain routes, with no web
 * framework (Apollo Server 5 needs none, and it keeps the hot path short).
 */
export function createHttpHandler<Context extends BaseContext>(options: GraphQLHttpOptions<Context>) {
  const graphqlPaths = options.graphqlPaths ?? ['/graphql'];
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const requestId = requestIdOf(request);
    response.setHeader('x-request-id', requestId);
    const url = new URL(request.url ?? '/', 'http://localhost');
    try {
      const route = options.routes?.[url.pathname];
      if (route && (request.method === 'GET' || request.method === 'HEAD')) return await route(request, response);
      if (!graphqlPaths.includes(url.pathname)) {
        return sendJson(response, 404, { error: `no route ${url.pathname}; GraphQL is at ${graphqlPaths[0]}` });
      }
      if (options.eventStream && (request.headers.accept ?? '').includes('text/event-stream')) {
        return await options.eventStream(request, response);
      }
      // GraphQL requests are traced (probes and plain routes are not: they would drown the traces).
      return await withServerSpan(request, url.pathname, requestId, async () => {
        await serveGraphQL(request, response, url, requestId);
        recordResponseStatus(response.statusCode);
      });
    } catch (error) {
      if (!response.headersSent)
        sendGraphQLError(response, 500, `internal error (request ${requestId})`, 'INTERNAL_SERVER_ERROR');
      else response.destroy(error as Error);
    }
  };

  /** One GraphQL request: body limits, the admission check (e.g. a safelist), then Apollo Server. */
  async function serveGraphQL(request: IncomingMessage, response: ServerResponse, url: URL, requestId: string) {
    if (isBareGet(request, url)) {
      // e.g. `curl http://localhost:4000/`: no operation at all, so say how to send one (a browser gets the
      // explorer, where there is one, from Apollo's landing page).
      return sendGraphQLError(
        response,
        400,
        `${url.pathname} serves GraphQL: POST {"query": "…"} with content-type: application/json, or GET ?query=… for a query`,
        'BAD_REQUEST',
      );
    }

    const body = await readBody(request);
    if (body === 'too-large') {
      return sendGraphQLError(response, 413, `request body over ${MAX_BODY_BYTES} bytes`, 'PAYLOAD_TOO_LARGE');
    }
    let parsed: unknown = body;
    if (body.length > 0 && /^application\/(graphql-response\+)?json\b/i.test(request.headers['content-type'] ?? '')) {
      try {
        parsed = JSON.parse(body);
      } catch {
        return sendGraphQLError(response, 400, 'request body is not valid JSON', 'BAD_REQUEST');
      }
    }
    let search = url.search;
    if (options.admit) {
      const candidate =
        request.method === 'GET' ? fromSearchParams(url.searchParams) : (parsed as Record<string, unknown>);
      const admission = options.admit(typeof candidate === 'object' && candidate !== null ? candidate : {});
      if (!admission.ok) return sendGraphQLError(response, admission.status, admission.message, admission.code);
      if (request.method === 'GET') search = toSearch(admission.body);
      else parsed = admission.body;
    }
    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    // A client taking only multipart answers takes JSON too: every answer starts as one (the first part).
    const accept = headers.get('accept');
    if (options.laterPayloads && accept && /multipart\/mixed/i.test(accept) && !/json|\*\/\*/i.test(accept)) {
      headers.set('accept', `${accept}, application/json`);
    }
    let contextValue: Context | undefined;
    const result = await options.apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: request.method ?? 'GET', headers, search, body: parsed },
      context: async () => {
        contextValue = await options.context(request, requestId);
        return contextValue;
      },
    });
    for (const [name, value] of result.headers) response.setHeader(name, value);
    response.statusCode = result.status ?? 200;
    const later = contextValue && options.laterPayloads?.(contextValue);
    if (later && result.body.kind === 'complete') return sendMultipart(response, result.body.string, later);
    if (result.body.kind === 'complete') {
      response.end(result.body.string);
      return;
    }
    for await (const chunk of result.body.asyncIterator) response.write(chunk);
    response.end();
  }
}

const PART_HEAD = '\r\ncontent-type: application/json; charset=utf-8\r\n\r\n';

/**
 * An incremental answer as Apollo Server and Apollo Router send it: each payload a part of its own, written as
 * it comes (the first marked `hasNext`) and followed at once by the boundary, so a client reads it without
 * waiting for the next; the last boundary closes. A client that goes away stops the writing, not the work.
 */
async function sendMultipart(response: ServerResponse, first: string, later: AsyncIterable<string>): Promise<void> {
  response.setHeader('content-type', 'multipart/mixed;boundary="graphql";deferSpec=20220824');
  // The parts together are one answer: no shared cache may keep the first for the whole.
  response.setHeader('cache-control', 'no-store');
  response.removeHeader('content-length');
  const text = first.trimEnd();
  response.write(`\r\n--graphql${PART_HEAD}${text.slice(0, -1)},"hasNext":true}\r\n--graphql`);
  flush(response);
  for await (const payload of later) {
    if (response.destroyed) return;
    response.write(`${PART_HEAD}${payload}\r\n--graphql`);
    flush(response);
  }
  response.end('--\r\n');
}

/**
 * Sends what is written so far: a compressing layer in front (the router's) keeps bytes until flushed, so each
 * part of a streamed answer is flushed as it is written.
 */
export function flush(response: ServerResponse): void {
  (response as ServerResponse & { flush?: () => void }).flush?.();
}

/** A GET with no operation (no query, no persisted-query hash) from something other than a browser. */
const isBareGet = (request: IncomingMessage, url: URL) =>
  request.method === 'GET' &&
  !url.searchParams.has('query') &&
  !url.searchParams.has('extensions') &&
  !(request.headers.accept ?? '').includes('text/html');

/** GraphQL-over-HTTP GET parameters as a request object (variables and extensions are JSON). */
function fromSearchParams(params: URLSearchParams): Record<string, unknown> {
  const json = (value: string | null) => {
    try {
      return value ? JSON.parse(value) : undefined;
    } catch {
      return undefined;
    }
  };
  return {
    query: params.get('query') ?? undefined,
    operationName: params.get('operationName') ?? undefined,
    variables: json(params.get('variables')),
    extensions: json(params.get('extensions')),
  };
}

function toSearch(body: Record<string, unknown>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(body)) {
    if (value === undefined) continue;
    params.set(name, typeof value === 'string' ? value : JSON.stringify(value));
  }
  return `?${params}`;
}

export function readBody(request: IncomingMessage): Promise<string | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        resolve('too-large');
        request.removeAllListeners('data');
        request.resume();
      } else chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.statusCode = status;
  response.setHeader('content-type', 'application/json; charset=utf-8');
  response.end(JSON.stringify(body));
}

export function sendGraphQLError(response: ServerResponse, status: number, message: string, code: string): void {
  sendJson(response, status, { errors: [{ message, extensions: { code } }] });
}

/** Listens, turning "port in use" into one line naming the port and the variable that changes it. */
export async function listen(
  handler: http.RequestListener,
  options: { host: string; port: number; portVariable: string },
): Promise<http.Server> {
  const server = http.createServer({ keepAliveTimeout: 65_000, requestTimeout: 30_000 }, handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new StartupError(
              `port ${options.port} on ${options.host} is already in use; stop what uses it or set ${options.portVariable} to another port`,
            )
          : error,
      ),
    );
    server.listen(options.port, options.host, resolve);
  });
  return server;
}

export const urlOf = (server: http.Server, path = '') => {
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}${path}`;
};
