# One image for every service of the supergraph; SERVICE picks which one runs (see docker-compose.yml).
# Node 24: the current LTS line (supported until April 2028); Node 20 reached its end of life in April 2026.
# `e2e/deployment` replays this file without Docker: each stage in an empty folder with exactly what it copies.

# Build: every dependency, the generated Prisma clients, then each service compiled to <service>/dist/main.js, and
# the storefront's app built by Vite.
FROM node:24-bookworm-slim AS build
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false TURBO_TELEMETRY_DISABLED=1 APOLLO_TELEMETRY_DISABLED=1 CI=true
# Manifests first, so the dependency layer is cached across source changes. Every workspace's package.json is
# needed: npm ci checks the lockfile against all of them.
COPY package.json package-lock.json .npmrc turbo.json tsconfig.base.json ./
COPY packages/platform/package.json packages/platform/
COPY packages/subgraph-runtime/package.json packages/subgraph-runtime/
COPY subgraphs/users/package.json subgraphs/users/
COPY subgraphs/products/package.json subgraphs/products/
COPY subgraphs/orders/package.json subgraphs/orders/
COPY subgraphs/faq/package.json subgraphs/faq/
COPY router/package.json router/
COPY storefront/package.json storefront/
COPY e2e/package.json e2e/
COPY bench/package.json bench/
RUN npm ci --ignore-scripts
# The sources (see .dockerignore), then the Prisma clients and the compiled services.
COPY . .
RUN npm run db:generate && npm run build

# Runtime: production dependencies of the six services only (the storefront's app is built: its server serves
# storefront/dist/public), their compiled code, schemas, migrations and the
# supergraph. No TypeScript, no tsx, no dev dependencies. Optional dependencies are left out too: @prisma/client
# names the Prisma CLI and TypeScript (about 200 MB, for generating, done in the build stage) as optional peers.
# The one optional dependency used at run time, argon2's native binding for this platform, comes from the build.
FROM node:24-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production NPM_CONFIG_UPDATE_NOTIFIER=false APOLLO_TELEMETRY_DISABLED=1 HOST=0.0.0.0 DATA_DIR=/app/data
COPY package.json package-lock.json .npmrc ./
COPY packages/platform/package.json packages/platform/
COPY packages/subgraph-runtime/package.json packages/subgraph-runtime/
COPY subgraphs/users/package.json subgraphs/users/
COPY subgraphs/products/package.json subgraphs/products/
COPY subgraphs/orders/package.json subgraphs/orders/
COPY subgraphs/faq/package.json subgraphs/faq/
COPY router/package.json router/
COPY storefront/package.json storefront/
COPY e2e/package.json e2e/
COPY bench/package.json bench/
RUN npm ci --omit=dev --omit=optional --ignore-scripts \
      --workspace=@shop/router --workspace=@shop/users --workspace=@shop/products \
      --workspace=@shop/orders --workspace=@shop/faq --workspace=@shop/storefront \
    && npm cache clean --force \
    && mkdir -p data/keys && chown -R 1000:1000 data
COPY --from=build /app/node_modules/@node-rs node_modules/@node-rs
COPY --from=build /app/router/dist router/dist
COPY --from=build /app/storefront/dist storefront/dist
COPY --from=build /app/subgraphs/users/dist subgraphs/users/dist
COPY --from=build /app/subgraphs/products/dist subgraphs/products/dist
COPY --from=build /app/subgraphs/orders/dist subgraphs/orders/dist
COPY --from=build /app/subgraphs/faq/dist subgraphs/faq/dist
COPY subgraphs/users/schema.graphql subgraphs/users/
COPY subgraphs/products/schema.graphql subgraphs/products/
COPY subgraphs/orders/schema.graphql subgraphs/orders/
COPY subgraphs/faq/schema.graphql subgraphs/faq/
COPY prisma/users/migrations prisma/users/migrations
COPY prisma/products/migrations prisma/products/migrations
COPY prisma/orders/migrations prisma/orders/migrations
COPY prisma/faq/migrations prisma/faq/migrations
COPY operations/manifest.json operations/
COPY supergraph.graphql docker/healthcheck.mjs docker/start.sh ./
# The base image's unprivileged user (uid 1000); it owns only data/.
USER node
ARG SERVICE=router
ENV SERVICE=${SERVICE}
HEALTHCHECK --interval=10s --timeout=3s --retries=3 CMD ["node", "healthcheck.mjs"]
CMD ["sh", "start.sh"]
