import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP proxy put between the orders service and products, to break the link on purpose:
 * - `pass`: forward everything;
 * - `refuse`: drop the connection without forwarding (products unreachable);
 * - `lose-response`: forward, let products do the work, then drop the connection without answering
 *   (products failed after reserving, as far as orders can tell). `onLost` runs when that happens.
 * Only requests whose body contains `match` are affected; the rest always pass.
 */
export type FaultMode = 'pass' | 'refuse' | 'lose-response';

export async function startFaultProxy(initialTarget = '') {
  const state: { mode: FaultMode; match: string; onLost?: () => void; target: string } = {
    mode: 'pass',
    match: '',
    target: initialTarget,
  };
  const server = http.createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const affected = state.mode !== 'pass' && body.toString().includes(state.match);
    if ((affected && state.mode === 'refuse') || !state.target) {
      response.socket?.destroy();
      return;
    }
    // The target down means the same to the caller as the proxy refusing: the connection drops.
    const upstream = await fetch(state.target, {
      method: request.method,
      headers: Object.fromEntries(
        Object.entries(request.headers).filter(([name]) => !['host', 'content-length', 'connection'].includes(name)),
      ) as Record<string, string>,
      body: request.method === 'GET' ? undefined : body,
    }).catch(() => null);
    if (!upstream) {
      response.socket?.destroy();
      return;
    }
    const answer = Buffer.from(await upstream.arrayBuffer());
    if (affected && state.mode === 'lose-response') {
      state.onLost?.();
      response.socket?.destroy();
      return;
    }
    response.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
    response.end(answer);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    /** Forwards to another URL from now on (the harness points each proxy at its subgraph once it listens). */
    retarget(target: string) {
      state.target = target;
    },
    /** Breaks requests containing `match` (e.g. "reserveStock") in the given way until reset. */
    set(mode: FaultMode, match = '', onLost?: () => void) {
      state.mode = mode;
      state.match = match;
      state.onLost = onLost;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type FaultProxy = Awaited<ReturnType<typeof startFaultProxy>>;
