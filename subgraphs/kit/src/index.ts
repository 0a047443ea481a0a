export {
  createTokenSigner,
  createTokenVerifier,
  isInternalToken,
  loadInternalToken,
  loadKeyPems,
  type TokenSigner,
  type TokenVerifier,
  unauthenticated,
  type Viewer,
  viewerFromHeader,
} from './auth.js';
export { requireAdmin, requireInternalCaller, requireViewer } from './authorization.js';
export {
  type ClosedAccount,
  type ClosedAccounts,
  closedAccountsFromUsers,
  watchClosedAccounts,
} from './closed-accounts.js';
export { applyMigrations, MigrationError, readMigrations, type SqlSession } from './database/migrations.js';
export { type Database, openDatabase } from './database/open.js';
export { dataRoot, REPOSITORY_ROOT } from './database/service-database.js';
export { type DatabaseLocation, MEMORY_DATABASE_URL, parseDatabaseUrl, redact } from './database/url.js';
export { baseEnvironment, parseEnvironment, port, z } from './environment.js';
export { badUserInput, type ErrorCode, notFound, userError } from './errors.js';
export { type GroupedPageSpec, groupedPagesLoader, queryGroupedPageIds } from './grouped-pages.js';
export {
  type Admission,
  createHttpHandler,
  listen,
  MAX_BODY_BYTES,
  type Route,
  requestIdOf,
  sendGraphQLError,
  sendJson,
  urlOf,
} from './http.js';
export { groupLoader, isId, rowLoader } from './loaders.js';
export { createLogger, type Logger } from './logger.js';
export {
  afterCursor,
  type Connection,
  type Cursor,
  encodeCursor,
  PAGE_SIZE,
  type PageRequest,
  pageRequest,
  toConnection,
} from './pagination.js';
export { requestLogging } from './request-logging.js';
export {
  createServiceTokenVerifier,
  openSubgraphDatabase,
  runSubgraph,
  type SubgraphPlumbing,
  startSubgraph,
  stopOnSignals,
} from './run-subgraph.js';
export { DateTime } from './scalars.js';
export { StartupError } from './startup-error.js';
export {
  type AnySubgraphManifest,
  type BackgroundJob,
  databaseLocation,
  defineSubgraph,
  parseSubgraphEnvironment,
  prismaClient,
  type SubgraphInstance,
  type SubgraphManifest,
  type SubgraphSetup,
  variablesOf,
} from './subgraph-manifest.js';
export { createSubgraph, type RequestBase, type SubgraphOptions, type SubgraphRuntime } from './subgraph-server.js';
