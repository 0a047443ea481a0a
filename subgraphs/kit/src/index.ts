export { applyMigrations, MigrationError, readMigrations, type SqlSession } from './database/migrations.js';
export { type Database, openDatabase } from './database/open.js';
export {
  defineServiceDatabase,
  REPOSITORY_ROOT,
  type ServiceDatabase,
  type ServiceName,
} from './database/service-database.js';
export { type DatabaseLocation, MEMORY_DATABASE_URL, parseDatabaseUrl, redact } from './database/url.js';
export { StartupError } from './startup-error.js';
