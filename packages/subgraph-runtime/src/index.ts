export {
  type CacheDescription,
  CHANGES_KEPT_MINUTES,
  type ChangesPage,
  changesReader,
  type RowChange,
} from './cache-changes.js';
export { Reads, readKey, readsList } from './cache-reads.js';
export { type DatabaseFailure, databaseFailureOf, retryConflicts } from './database/failures.js';
export { applyMigrations, MigrationError, readMigrations, type SqlSession } from './database/migrations.js';
export { type Database, openDatabase } from './database/open.js';
export { PGLITE_EXTENSIONS } from './database/pglite-extensions.js';
export { ensureMigratedTemplate, ensurePgliteTemplate } from './database/pglite-template.js';
export type { PreparedReads, ReadStatement } from './database/prepared-reads.js';
export { type DatabaseLocation, MEMORY_DATABASE_URL, parseDatabaseUrl, redact } from './database/url.js';
export {
  type GroupedPageSpec,
  type GroupedRow,
  groupedPageStatement,
  groupedPagesLoader,
  queryGroupedPages,
} from './grouped-pages.js';
export { groupLoader, isId, rowLoader } from './loaders.js';
export {
  afterCursor,
  type Connection,
  type Cursor,
  cursorCodec,
  PAGE_SIZE,
  type PageArguments,
  type PageRequest,
  type PageRequester,
  selectsField,
  toConnection,
} from './pagination.js';
export {
  openSubgraphDatabase,
  runSubgraph,
  type SubgraphPlumbing,
  serveSubgraph,
  startSubgraph,
} from './run-subgraph.js';
export { DateTime } from './scalars.js';
export {
  createSubgraphClient,
  type SubgraphClientOptions,
  SubgraphUnavailable,
  serviceUnavailable,
} from './subgraph-client.js';
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
} from './subgraph-manifest.js';
export { createSubgraph, type RequestBase, type SubgraphOptions, type SubgraphRuntime } from './subgraph-server.js';
export { containsPattern, containsText } from './text-search.js';
