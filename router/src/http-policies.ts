import type { IncomingMessage, ServerResponse } from 'node:http';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import compression from 'compression';
import cors from 'cors';
import Negotiator from 'negotiator';

/** What the router's HTTP layer adds around GraphQL: compression and CORS (env.ts: `httpPolicies`). */
export interface HttpPolicySettings {
  /** Answers of at least `thresholdBytes` are compressed when the client accepts it; null: never. */
  compression: { thresholdBytes: number } | null;
  /** Origins whose browser pages may call the router (CORS); empty: none but the router's own (no CORS headers). */
  corsOrigins: string[] | '*';
}

type Handler = (request: IncomingMessage, response: ServerResponse) => Promise<void> | void;
type Middleware = (request: IncomingMessage, response: ServerResponse, next: (error?: unknown) => void) => void;

/** The content types the router compresses: GraphQL answers, incremental answers and event streams. */
const COMPRESSIBLE = /^(application\/(graphql-response\+)?json|multipart\/mixed|text\/event-stream)\b/i;
/** An Accept header that lets the answer be a stream (`@defer` parts, subscription events). */
const STREAMED = /multipart\/mixed|text\/event-stream/i;

/**
 * The cheapest levels: on GraphQL answers of 1–11 KB, Brotli at quality 1 took 36–61 µs and came out smaller
 * than gzip at its default level 6 (88–145 µs); quality 4 took 110–240 µs for ~15 % less. gzip (for clients
 * without Brotli) at level 1 took 71–81 µs for the same size as level 6. Measured with zlib's synchronous calls.
 */
const BROTLI_QUALITY = 1;
const GZIP_LEVEL = 1;
/**
 * A stream (an open subscription's events) keeps its compressor for as long as it is open: gzip's default window
 * held ~233 KB per stream, this one (4 KiB, plenty for events of a few hundred bytes) ~119 KB; Brotli at quality 1
 * ~36 KB (RSS per stream, 500 streams).
 */
const GZIP_STREAM_WINDOW = { windowBits: 12, memLevel: 5 };

/**
 * HTTP in front of the router's GraphQL handler: CORS (`cors`) and compression (Brotli or gzip,
 * whichever the client's Accept-Encoding prefers, above a threshold). A whole answer, written by one `end()`,
 * is compressed there at once (zlib's synchronous call, tens of microseconds: the stream `compression` would
 * use takes extra event-loop turns per answer, and on the mix's first run larger answers' median rose ~30 ms).
 * Streamed answers (multipart `@defer` parts, event streams) go through `compression`'s stream and call
 * `flush()` after each part, so compression never holds a part back. `onBytes` learns each answer's size as
 * made and as sent (the compression ratio).
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
  const compressed = settings.compression;
  const compressStreams = compressed
    ? (compression({
        threshold: compressed.thresholdBytes,
        level: GZIP_LEVEL,
        ...GZIP_STREAM_WINDOW,
        brotli: { params: { [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY } },
        filter: (_request, response) => COMPRESSIBLE.test(String(response.getHeader('content-type') ?? '')),
      }) as unknown as Middleware)
    : null;
  return async (request, response) => {
    countBytes(response, onBytes, () => {
      for (const middleware of middlewares) applyOne(middleware, request, response);
      // Only a client that accepts a stream can get one: the others' answers are whole (profiled under the mix,
      // `compression`'s per-answer hooks cost a third to half as much as compressing).
      if (compressStreams && STREAMED.test(request.headers.accept ?? '')) applyOne(compressStreams, request, response);
      if (compressed) compressWholeAnswers(request, response, compressed.thresholdBytes);
    });
    // cors ends a preflight (OPTIONS) itself.
    if (response.writableEnded) return;
    await handler(request, response);
  };
}

/**
 * A whole answer (one `end(body)`, nothing written before) compressed on the spot. Its Content-Encoding tells
 * `compression` (when the client could have had a stream), whose `end` it then calls, that there is nothing
 * left for it to do.
 */
function compressWholeAnswers(request: IncomingMessage, response: ServerResponse, thresholdBytes: number): void {
  const end = response.end;
  response.end = function (this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
    const whole =
      !response.headersSent &&
      (typeof chunk === 'string' || Buffer.isBuffer(chunk)) &&
      Buffer.byteLength(chunk) >= thresholdBytes &&
      !response.getHeader('content-encoding') &&
      COMPRESSIBLE.test(String(response.getHeader('content-type') ?? ''));
    if (!whole) return (end as (...args: unknown[]) => ServerResponse).call(this, chunk, ...rest);
    // Whether it is compressed depends on Accept-Encoding: a shared cache must know, either way.
    const vary = String(response.getHeader('vary') ?? '');
    if (!/accept-encoding/i.test(vary))
      response.setHeader('vary', vary ? `${vary}, Accept-Encoding` : 'Accept-Encoding');
    const encoding = negotiate(request);
    if (!encoding) return (end as (...args: unknown[]) => ServerResponse).call(this, chunk, ...rest);
    const body = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    const encoded =
      encoding === 'br'
        ? brotliCompressSync(body, {
            params: {
              [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
              [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
            },
          })
        : gzipSync(body, { level: GZIP_LEVEL });
    response.setHeader('content-encoding', encoding);
    response.setHeader('content-length', encoded.length);
    return (end as (...args: unknown[]) => ServerResponse).call(this, encoded);
  } as ServerResponse['end'];
}

type Encoding = 'br' | 'gzip' | null;

/**
 * Each Accept-Encoding value's choice, once: clients send a handful of distinct values, and under the mix
 * `negotiator` took as much of the router's time as compressing did. Bounded against a client sending new ones.
 */
const chosenEncodings = new Map<string, Encoding>();
const CHOSEN_ENCODINGS_MAX = 256;

/** Brotli or gzip, as the client's Accept-Encoding prefers (Brotli on a tie), or none. */
function negotiate(request: IncomingMessage): Encoding {
  const accepted = request.headers['accept-encoding'] ?? '';
  const known = chosenEncodings.get(accepted);
  if (known !== undefined) return known;
  const negotiator = new Negotiator(request) as Negotiator & {
    encoding(available: string[], options: { preferred: string[] }): string | undefined;
  };
  const chosen = negotiator.encoding(['br', 'gzip', 'identity'], { preferred: ['br', 'gzip'] });
  const encoding = chosen === 'br' || chosen === 'gzip' ? chosen : null;
  if (chosenEncodings.size >= CHOSEN_ENCODINGS_MAX) chosenEncodings.clear();
  chosenEncodings.set(accepted, encoding);
  return encoding;
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
