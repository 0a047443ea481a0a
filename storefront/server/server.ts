import http from 'node:http';
import type { Logger } from '@shop/platform';
import { sendGraphQLError, sendJson } from '@shop/platform';
import sirv from 'sirv';

/** Headers a proxy must not pass on (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
]);

/** Everything the page loads comes from here; nothing may frame it. */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
};

/**
 * The storefront in production: the built app (dist/public) with sirv, every unknown path answered with
 * index.html (the app routes in the browser), and /graphql forwarded to the router, so the app and its API
 * share one origin (no CORS, no preflight requests).
 */
export function createStorefrontServer({
  publicDir,
  routerUrl,
  log,
}: {
  publicDir: string;
  routerUrl: string;
  log: Logger;
}): http.RequestListener {
  const router = new URL(routerUrl);
  const agent = new http.Agent({ keepAlive: true });
  const assets = sirv(publicDir, {
    single: true,
    etag: true,
    // The .br and .gz files the build wrote beside each text file.
    brotli: true,
    gzip: true,
    setHeaders: (response, pathname) => {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
      // Vite names built assets by their content hash: they never change. index.html always revalidates.
      response.setHeader(
        'cache-control',
        pathname.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    },
  });

  function forwardToRouter(request: http.IncomingMessage, response: http.ServerResponse) {
    const headers: http.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(request.headers)) if (!HOP_BY_HOP.has(name)) headers[name] = value;
    const peer = request.socket.remoteAddress;
    headers['x-forwarded-for'] = [request.headers['x-forwarded-for'], peer].filter(Boolean).join(', ');
    const upstream = http.request(
      router,
      {
        method: request.method,
        headers,
        agent,
        path: `${router.pathname}${new URL(request.url ?? '/', 'http://x').search}`,
      },
      (answer) => {
        const passed = Object.fromEntries(Object.entries(answer.headers).filter(([name]) => !HOP_BY_HOP.has(name)));
        response.writeHead(answer.statusCode ?? 502, passed);
        answer.pipe(response);
      },
    );
    upstream.on('error', (error) => {
      log.warn({ err: error, router: routerUrl }, 'the router did not answer');
      if (!response.headersSent)
        sendGraphQLError(
          response,
          502,
          'the shop is not reachable right now: try again shortly',
          'SERVICE_UNAVAILABLE',
        );
      else response.destroy();
    });
    request.pipe(upstream);
  }

  return (request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path === '/graphql') return forwardToRouter(request, response);
    if (path === '/health') return sendJson(response, 200, { status: 'ok' });
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    assets(request, response);
  };
}
