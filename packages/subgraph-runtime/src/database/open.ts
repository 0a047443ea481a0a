import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { StartupError } from '@shop/platform';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import {
  applyMigrations,
  MigrationError,
  type MigrationResult,
  pendingMigrations,
  readMigrations,
  type SqlSession,
} from './migrations.js';
import { lockDataDir } from './pglite-lock.js';
import { pgliteTemplateFor } from './pglite-template.js';
import { type DatabaseLocation, redact } from './url.js';

/** What every Prisma client has; the generated client class differs per service. */
interface PrismaLike {
  $disconnect(): Promise<void>;
}

export interface Database<Client extends PrismaLike> {
  prisma: Client;
  location: DatabaseLocation;
  /** The migration run at open: whether the database was new, which migrations were applied. */
  migrations: MigrationResult;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions<Client extends PrismaLike> {
  location: DatabaseLocation;
  migrationsDir: string;
  createClient: (adapter: SqlMigrationAwareDriverAdapterFactory) => Client;
  /**
   * `apply` (default): apply pending migrations. `verify`: apply none, and refuse to open a database that lacks
   * some (where a migration job applies them once, before any replica starts).
   */
  migrations?: 'apply' | 'verify';
}

/**
 * Opens a service's database, applies pending migrations, and returns a Prisma client on it. The same
 * schema, generated client and migrations serve PostgreSQL and PGlite; only the driver adapter differs.
 */
export async function openDatabase<Client extends PrismaLike>(
  options: OpenDatabaseOptions<Client>,
): Promise<Database<Client>> {
  return options.location.kind === 'postgres'
    ? openPostgres(options, options.location.url)
    : openPglite(options, options.location.dataDir);
}

async function openPostgres<Client extends PrismaLike>(
  options: OpenDatabaseOptions<Client>,
  url: string,
): Promise<Database<Client>> {
  const pool = new pg.Pool({ connectionString: url, connectionTimeoutMillis: 5_000 });
  pool.on('error', () => undefined); // an idle client dropped by the server; the pool replaces it
  let migrations: MigrationResult;
  try {
    const client = await pool.connect().catch((error: Error) => {
      throw new StartupError(
        `cannot connect to PostgreSQL at ${redact(url)}: ${error.message}; is the server running and the database created?`,
      );
    });
    try {
      migrations = await migrate(options, {
        query: async (sql, params) => (await client.query(sql, params)).rows,
        exec: async (script) => void (await client.query(script)),
      });
    } finally {
      client.release();
    }
  } catch (error) {
    await pool.end();
    throw error;
  }
  const prisma = options.createClient(new PrismaPg(pool));
  return {
    prisma,
    location: options.location,
    migrations,
    close: async () => {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

async function openPglite<Client extends PrismaLike>(
  options: OpenDatabaseOptions<Client>,
  dataDir: string | null,
): Promise<Database<Client>> {
  const unlock = dataDir ? lockDataDir(dataDir) : () => undefined;
  let db: PGlite | undefined;
  try {
    const template = dataDir ? pgliteTemplateFor(dataDir) : null;
    db = dataDir ? await PGlite.create(dataDir, template ? { loadDataDir: template } : {}) : await PGlite.create();
    const session = db;
    const migrations = await migrate(options, {
      query: async (sql, params) => (await session.query(sql, params)).rows as never,
      exec: async (script) => void (await session.exec(script)),
    });
    const prisma = options.createClient(new PrismaPGlite(session));
    return {
      prisma,
      location: options.location,
      migrations,
      close: async () => {
        await prisma.$disconnect();
        await session.close();
        unlock();
      },
    };
  } catch (error) {
    await db?.close().catch(() => undefined);
    unlock();
    if (error instanceof StartupError || error instanceof MigrationError) throw error;
    throw new StartupError(
      `cannot open the embedded database ${dataDir ?? '(in memory)'}: ${(error as Error).message}; if it is damaged, move it away and start again`,
    );
  }
}

async function migrate(
  { migrationsDir, migrations: mode = 'apply' }: Pick<OpenDatabaseOptions<PrismaLike>, 'migrationsDir' | 'migrations'>,
  session: SqlSession,
): Promise<MigrationResult> {
  const migrations = readMigrations(migrationsDir);
  if (migrations.length === 0) {
    throw new StartupError(`no migrations found in ${migrationsDir}; run npm run db:migrate -- <service> init`);
  }
  if (mode === 'apply') return applyMigrations(session, migrations);
  const pending = await pendingMigrations(session, migrations);
  if (pending.length > 0) {
    throw new StartupError(
      `the database lacks ${pending.length} migration(s) (${pending.join(', ')}) and MIGRATE_ON_START is false: run this service's migration job (node dist/main.js migrate) first`,
    );
  }
  return { created: false, applied: [] };
}
