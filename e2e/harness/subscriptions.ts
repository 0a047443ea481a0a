import type { FormattedExecutionResult } from 'graphql';
import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWebSocketClient } from 'graphql-ws';
import WebSocket from 'ws';

export type Transport = 'sse' | 'websocket';

/** What a subscription received so far, and a way to wait for more. */
export interface OpenSubscription {
  results: FormattedExecutionResult<Record<string, unknown>>[];
  /** Resolves when a result matching `predicate` has come (at most `timeoutMs`), with that result. */
  until(
    predicate: (result: FormattedExecutionResult<Record<string, unknown>>) => boolean,
    timeoutMs?: number,
  ): Promise<FormattedExecutionResult<Record<string, unknown>>>;
  /** Resolves when the server ended the stream (an error closing it is in `failure`). */
  ended: Promise<void>;
  failure: () => unknown;
  close(): void;
}

/** Subscribes through the router over GraphQL over SSE (graphql-sse) or WebSocket (graphql-ws), as a client would. */
export function subscribe(
  transport: Transport,
  url: string,
  request: { query: string; variables?: Record<string, unknown> },
  token?: string,
): OpenSubscription {
  const authorization = token ? `Bearer ${token}` : undefined;
  let iterator: AsyncIterableIterator<FormattedExecutionResult<Record<string, unknown>>>;
  let dispose: () => void;
  if (transport === 'sse') {
    const client = createSseClient({
      url,
      retryAttempts: 0,
      headers: authorization ? { authorization } : {},
    });
    iterator = client.iterate(request);
    dispose = () => client.dispose();
  } else {
    const client = createWebSocketClient({
      url: url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: true,
      connectionParams: authorization ? { authorization } : {},
    });
    iterator = client.iterate(request);
    dispose = () => void client.dispose();
  }
  const results: FormattedExecutionResult<Record<string, unknown>>[] = [];
  const waiting = new Set<() => void>();
  let failure: unknown;
  const ended = (async () => {
    try {
      for await (const result of iterator) {
        results.push(result);
        for (const wake of waiting) wake();
      }
    } catch (error) {
      failure = error;
    } finally {
      for (const wake of waiting) wake();
    }
  })();
  let done = false;
  void ended.then(() => {
    done = true;
  });
  return {
    results,
    ended,
    failure: () => failure,
    async until(predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = results.find(predicate);
        if (found) return found;
        if (done) throw new Error(`the subscription ended without such a result: ${JSON.stringify(results)}`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no such result within ${timeoutMs} ms: ${JSON.stringify(results)}`);
        await new Promise<void>((resolve) => {
          const wake = () => {
            waiting.delete(wake);
            clearTimeout(timer);
            resolve();
          };
          const timer = setTimeout(wake, left);
          waiting.add(wake);
        });
      }
    },
    close: () => {
      void iterator.return?.();
      dispose();
    },
  };
}
