import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHandler, type HandlerOptions, type OperationContext } from 'graphql-sse';
import { type Admission, flush, MAX_BODY_BYTES, readBody, sendGraphQLError } from './http.js';

/**
 * GraphQL over Server-Sent Events (the graphql-sse protocol, "distinct connections" mode: one event stream per
 * operation) on Node's HTTP server: graphql-sse's handler, given the body read under the same size limit as
 * every other GraphQL request. Streams end when the operation completes or the client goes away.
 */
export function eventStreamHandler<Context extends object>(
  options: Omit<HandlerOptions<IncomingMessage, undefined, Context & OperationContext>, 'authenticate'> & {
    /** Admits (possibly rewriting, e.g. a persisted operation's hash into its document) or refuses a request. */
    admit?: ((request: Record<string, unknown>) => Admission) | null;
  },
) {
  const { admit, ...handlerOptions } = options;
  // No single connection mode (it needs reservations shared by every replica): each stream is its own request.
  const handler = createHandler<IncomingMessage, undefined, Context & OperationContext>({
    ...handlerOptions,
    authenticate: () => null,
  });
  const open = new Set<ServerResponse>();
  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    let body = request.method === 'POST' ? await readBody(request) : '';
    if (body === 'too-large') {
      return sendGraphQLError(response, 413, `request body over ${MAX_BODY_BYTES} bytes`, 'PAYLOAD_TOO_LARGE');
    }
    if (admit && body) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        return sendGraphQLError(response, 400, 'request body is not valid JSON', 'BAD_REQUEST');
      }
      const admission = admit(typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {});
      if (!admission.ok) return sendGraphQLError(response, admission.status, admission.message, admission.code);
      body = JSON.stringify(admission.body);
    }
    const [stream, init] = await handler({
      method: request.method ?? 'GET',
      url: request.url ?? '/',
      headers: { get: (name) => [request.headers[name] ?? []].flat().join('\n') || null },
      body: async () => body,
      raw: request,
      context: undefined,
    });
    // graphql-sse marks its streams `content-encoding: none` (no such coding) so that nothing compresses them;
    // every event is flushed as it is written (below), so the router's compression may, and each event still
    // goes out at once.
    const { 'content-encoding': _none, ...headers } = (init.headers ?? {}) as Record<string, string>;
    response.writeHead(init.status, init.statusText, headers);
    if (!stream || typeof stream === 'string') {
      response.end(stream);
      return;
    }
    open.add(response);
    response.once('close', () => {
      open.delete(response);
      void stream.return(undefined);
    });
    for await (const chunk of stream) {
      if (!response.writable) break;
      response.write(chunk);
      flush(response);
    }
    response.end();
  };
  return Object.assign(handle, {
    /** Ends every open stream (the server is stopping: clients subscribe again elsewhere). */
    endAll: () => {
      for (const response of open) response.end();
    },
  });
}
