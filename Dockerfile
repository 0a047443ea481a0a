# One image for every service of the supergraph; SERVICE picks which one runs (see docker-compose.yml).
FROM node:20-bookworm-slim
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false TURBO_TELEMETRY_DISABLED=1 APOLLO_TELEMETRY_DISABLED=1

# Manifests first, so dependency layers are cached across source changes.
COPY package.json package-lock.json .npmrc turbo.json tsconfig.base.json ./
COPY packages/platform/package.json packages/platform/
COPY packages/subgraph-runtime/package.json packages/subgraph-runtime/
COPY subgraphs/users/package.json subgraphs/users/
COPY subgraphs/products/package.json subgraphs/products/
COPY subgraphs/orders/package.json subgraphs/orders/
COPY subgraphs/faq/package.json subgraphs/faq/
COPY router/package.json router/
COPY e2e/package.json e2e/
COPY prisma prisma
COPY scripts scripts
RUN npm ci --ignore-scripts && npm run db:generate

COPY . .
ARG SERVICE=router
ENV SERVICE=${SERVICE} HOST=0.0.0.0
# Subgraphs live in subgraphs/<name>, the router in router/.
CMD ["sh", "-c", "if [ \"$SERVICE\" = router ]; then exec node --import tsx router/src/main.ts; else exec node --import tsx subgraphs/$SERVICE/src/main.ts; fi"]
