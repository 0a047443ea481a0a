import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A proxy in front of a subgraph that holds its requests until `open()`. */
export async function startGate(target: string) {
  let isOpen = false;
  const waiting: (() => void)[] = [];
  let held = 0;
  /** The headers of each request it received, in order. */
  const seen: http.IncomingHttpHeaders[] = [];
  const server = http.createServer(async (request, response) => {
    seen.push(request.headers);
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    if (!isOpen) {
      held++;
      await new Promise<void>((resolve) => {
        waiting.push(resolve);
      });
    }
    const forwarded = ['content-type', 'authorization', 'x-request-id', 'traceparent'];
    const upstream = await fetch(target, {
      method: 'POST',
      headers: Object.fromEntries(
        Object.entries(request.headers).filter(([name]) => forwarded.includes(name)),
      ) as Record<string, string>,
      body: Buffer.concat(chunks),
    }).catch(() => null);
    if (!upstream) return void response.socket?.destroy();
    response.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
    response.end(Buffer.from(await upstream.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    held: () => held,
    seen,
    open: () => {
      isOpen = true;
      for (const release of waiting.splice(0)) release();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
