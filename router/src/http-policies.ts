import type { IncomingMessage, ServerResponse } from 'node:http';
import compression from 'compression';
import cors from 'cors';

/** Answers bigger than this many bytes are compressed, when the client accepts it. */
export interface HttpPolicySettings {
  /** null: answers go out as they are made. */
  compression: { thresholdBytes: number } | null;
  /** Origins whose browser pages may call the router (CORS); empty: none but the router's own (no CORS headers). */
  corsOrigins: string[] | '*';
}

type Handler = (request: IncomingMessage, response: ServerResponse) => Promise<void> | void;
type Middleware = (request: IncomingMessage, response: ServerResponse, next: (error?: unknown) => void) => void;

/** The content types the router compresses: GraphQL answers, incremental answers and event streams. */
const COMPRESSIBLE = /^(application\/(graphql-response\+)?json|multipart\/mixed|text\/event-stream)\b/i;

/**
 * HTTP in front of the router's GraphQL handler: CORS (`cors`) and compression (`compression`: Brotli at
 * quality 4 or gzip, whichever the client's Accept-Encoding prefers, above a threshold). Streamed answers
 * (multipart `@defer` parts, event streams) call `flush()` after each part, so compression never holds a part
 * back. `onBytes` learns each answer's size as made and as sent (the compression ratio).
 */
export function withHttpPolicies(
  handler: Handler,
  settings: HttpPolicySettings,
  onBytes: (encoding: string, body: number, sent: number) => void,
): Handler {
  const middlewares: Middleware[] = [];
  if (settings.corsOrigins === '*' || settings.corsOrigins.length > 0) {
    middlewares.push(
      cors({
        origin: settings.corsOrigins === '*' ? '*' : settings.corsOrigins,
        methods: ['GET', 'POST', 'OPTIONS'],
        maxAge: 600,
        exposedHeaders: ['x-request-id', 'retry-after'],
      }) as Middleware,
    );
  }
  if (settings.compression) {
    middlewares.push(
      compression({
        threshold: settings.compression.thresholdBytes,
        filter: (_request, response) => COMPRESSIBLE.test(String(response.getHeader('content-type') ?? '')),
      }) as unknown as Middleware,
    );
  }
  return async (request, response) => {
    countBytes(response, onBytes, () => {
      for (const middleware of middlewares) applyOne(middleware, request, response);
    });
    // cors ends a preflight (OPTIONS) itself.
    if (response.writableEnded) return;
    await handler(request, response);
  };
}

/** Runs one Express-style middleware that calls next() synchronously (cors and compression do). */
function applyOne(middleware: Middleware, request: IncomingMessage, response: ServerResponse): void {
  middleware(request, response, (error) => {
    if (error) throw error;
  });
}

/**
 * Counts an answer's bytes as written by the router (after `install` patches write/end, i.e. before
 * compression) and as they reach the socket (before the patch), reported once the answer is finished.
 */
function countBytes(
  response: ServerResponse,
  onBytes: (encoding: string, body: number, sent: number) => void,
  install: () => void,
): void {
  let sent = 0;
  let body = 0;
  const count = (add: (length: number) => void, write: ServerResponse['write'], end: ServerResponse['end']) => {
    response.write = function (this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
      if (chunk) add(byteLength(chunk));
      return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    } as ServerResponse['write'];
    response.end = function (this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
      if (chunk && typeof chunk !== 'function') add(byteLength(chunk));
      return (end as (...args: unknown[]) => ServerResponse).call(this, chunk, ...rest);
    } as ServerResponse['end'];
  };
  count(
    (length) => {
      sent += length;
    },
    response.write,
    response.end,
  );
  install();
  count(
    (length) => {
      body += length;
    },
    response.write,
    response.end,
  );
  response.once('finish', () => {
    if (!COMPRESSIBLE.test(String(response.getHeader('content-type') ?? ''))) return;
    onBytes(String(response.getHeader('content-encoding') ?? 'identity'), body, sent);
  });
}

const byteLength = (chunk: unknown) =>
  typeof chunk === 'string' ? Buffer.byteLength(chunk) : ((chunk as Uint8Array).byteLength ?? 0);
