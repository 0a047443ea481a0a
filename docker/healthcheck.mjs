// The image's HEALTHCHECK: GET /health on the port the service SERVICE listens on (<SERVICE>_PORT, else its
// default, as in supergraph.yaml; e2e/deployment checks that the two agree).
const DEFAULT_PORTS = { router: 4000, users: 4001, products: 4002, orders: 4003, faq: 4004, storefront: 3000 };
const service = process.env.SERVICE ?? 'router';
const port = process.env[`${service.toUpperCase()}_PORT`] ?? DEFAULT_PORTS[service];
fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2_000) }).then(
  (response) => process.exit(response.ok ? 0 : 1),
  () => process.exit(1),
);
