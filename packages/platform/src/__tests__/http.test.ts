import type { Server } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpHandler, listen, MAX_BODY_BYTES, urlOf } from '../http.js';

/** The HTTP layer every service serves GraphQL through: routes, limits, admission, request ids. */
let server: Server;
let apollo: ApolloServer;
let base: string;

beforeAll(async () => {
  apollo = new ApolloServer({ typeDefs: 'type Query { hello: String }', resolvers: { Query: { hello: () => 'hi' } } });
  await apollo.start();
  const handler = createHttpHandler({
    apollo,
    context: async () => ({}),
    routes: {
      '/health': (_request, response) => {
        response.end('ok');
      },
    },
    admit: (body) =>
      body.query === '{ refused }'
        ? { ok: false, status: 400, code: 'REFUSED', message: 'not this one' }
        : { ok: true, body },
  });
  server = await listen(handler, { host: '127.0.0.1', port: 0, portVariable: 'PORT' });
  base = urlOf(server);
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await apollo?.stop();
});

const post = (body: string, headers: Record<string, string> = {}) =>
  fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

const codeOf = async (response: Response) =>
  ((await response.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code;

describe('the HTTP handler', () => {
  it('serves GraphQL, and names each request with an id it echoes', async () => {
    const response = await post('{"query":"{ hello }"}', { 'x-request-id': 'abc-123' });
    expect(await response.json()).toEqual({ data: { hello: 'hi' } });
    expect(response.headers.get('x-request-id')).toBe('abc-123');
    const fresh = await post('{"query":"{ hello }"}');
    expect(fresh.headers.get('x-request-id')).toMatch(/^[\w-]{8,}$/);
  });

  it('answers plain routes, and 404 with where GraphQL is for anything else', async () => {
    expect(await (await fetch(`${base}/health`)).text()).toBe('ok');
    const missing = await fetch(`${base}/nowhere`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'no route /nowhere; GraphQL is at /graphql' });
  });

  it('refuses bodies that are not JSON or too large, and bare GETs, each with its code', async () => {
    const broken = await post('{"query":');
    expect(broken.status).toBe(400);
    expect(await codeOf(broken)).toBe('BAD_REQUEST');
    const large = await post(JSON.stringify({ query: `{ hello } #${'x'.repeat(MAX_BODY_BYTES)}` }));
    expect(large.status).toBe(413);
    expect(await codeOf(large)).toBe('PAYLOAD_TOO_LARGE');
    const bare = await fetch(`${base}/graphql`);
    expect(bare.status).toBe(400);
  });

  it('asks the admission check before Apollo Server', async () => {
    const refused = await post('{"query":"{ refused }"}');
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({ errors: [{ message: 'not this one', extensions: { code: 'REFUSED' } }] });
  });
});
