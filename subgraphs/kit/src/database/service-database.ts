import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { type Database, openDatabase } from './open.js';
import { type DatabaseLocation, parseDatabaseUrl } from './url.js';

export type ServiceName = 'users' | 'products' | 'orders' | 'faq';

export const REPOSITORY_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** Where embedded databases and development keys live: DATA_DIR, or .data/ at the repository root. */
export const dataRoot = (env: NodeJS.ProcessEnv) => path.resolve(env.DATA_DIR ?? path.join(REPOSITORY_ROOT, '.data'));

interface PrismaLike {
  $disconnect(): Promise<void>;
}

/** One service's database: where it lives by default, its migrations, its client, its development data. */
export interface ServiceDatabase<Client extends PrismaLike> {
  service: ServiceName;
  /** Resolves `<SERVICE>_DATABASE_URL` (and `DATA_DIR` for the embedded default) from an environment. */
  locate(env: NodeJS.ProcessEnv): DatabaseLocation;
  /** `logQueries` makes the client emit Prisma `query` events (tests count SQL statements with them). */
  open(location: DatabaseLocation, options?: { logQueries?: boolean }): Promise<Database<Client>>;
  /** Inserts the development data set; safe to run again (existing rows are kept). */
  seed(prisma: Client): Promise<void>;
}

export function defineServiceDatabase<Client extends PrismaLike>(definition: {
  service: ServiceName;
  createClient: (adapter: SqlMigrationAwareDriverAdapterFactory, logQueries: boolean) => Client;
  seed: (prisma: Client) => Promise<void>;
}): ServiceDatabase<Client> {
  const { service, createClient, seed } = definition;
  const migrationsDir = path.join(REPOSITORY_ROOT, 'prisma', service, 'migrations');
  return {
    service,
    locate: (env) => {
      const variable = `${service.toUpperCase()}_DATABASE_URL`;
      return parseDatabaseUrl(variable, env[variable], path.join(dataRoot(env), service));
    },
    open: (location, options) =>
      openDatabase({
        location,
        migrationsDir,
        createClient: (adapter) => createClient(adapter, options?.logQueries ?? false),
      }),
    seed,
  };
}
