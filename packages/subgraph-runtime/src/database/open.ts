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
import { PGLITE_EXTENSIONS } from './pglite-extensions.js';
import { lockDataDir } from './pglite-lock.js';
import { prepareFromTemplate } from './pglite-template.js';
import { type PreparedReads, pgliteReads, postgresReads } from './prepared-reads.js';
import { type DatabaseLocation, redact } from './url.js';

/**
 * Each replica's PostgreSQL pool. 10 connections: a request takes one statement or one short transaction at a
 * time, so 10 serve far more concurrent requests than 2 cores can run, and 10 per replica keep PostgreSQL's
 * default 100 connections enough for every replica of the four services. A request that finds no free
 * connection within 3 s fails as an outage (SERVICE_UNAVAILABLE), well before the router's subgraph timeout;
 * idle connections close after 30 s; TCP keep-alive finds a server that vanished without closing them.
 */
const POOL = { max: 10, connectionTimeoutMillis: 3_000, idleTimeoutMillis: 30_000, keepAlive: true } as const;

/** What every Prisma client has; the generated client class differs per service. */
interface PrismaLike {
  $disconnect(): Promise<void>;
}

export interface Database<Client extends PrismaLike> {
  prisma: Client;
  /** The hot reads' prepared statements on the same connections (prepared-reads.ts). */
  reads: PreparedReads;
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
  /** PostgreSQL settings for an embedded database (`name=value`), e.g. a smaller shared_buffers in development. */
  pgliteSettings?: string[];
  /**
   * What a new embedded database starts from: `migrated` (default), the service's template with its migrations
   * applied when `npm install` made one; `empty`, the empty cluster (tests of the migrations themselves).
   */
  pgliteTemplate?: 'migrated' | 'empty';
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
  const pool = new pg.Pool({ connectionString: url, ...POOL });
  // A connection the server ends (a restart: 57P01) emits 'error' on its client, idle in the pool or checked out
  // by a query: unhandled, that event would end the process. The query on it fails on its own (and is answered
  // SERVICE_UNAVAILABLE, see failures.ts); the pool drops the client and opens a new one when asked.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
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
    reads: postgresReads(pool),
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
    const migrated = options.pgliteTemplate === 'empty' ? null : options.migrationsDir;
    const template = dataDir ? prepareFromTemplate(dataDir, migrated) : null;
    const settings = options.pgliteSettings ?? [];
    const startParams = [...PGlite.defaultStartParams, ...settings.flatMap((setting) => ['-c', setting])];
    const pgliteOptions = { extensions: PGLITE_EXTENSIONS, startParams };
    db = dataDir
      ? await PGlite.create(
          dataDir,
          template?.archive ? { ...pgliteOptions, loadDataDir: template.archive } : pgliteOptions,
        )
      : await PGlite.create(pgliteOptions);
    const session = db;
    const result = await migrate(options, {
      query: async (sql, params) => (await session.query(sql, params)).rows as never,
      exec: async (script) => void (await session.exec(script)),
    });
    // A directory made from a template is new, even when the template had the migrations applied already.
    const migrations = { ...result, created: result.created || template !== null };
    const prisma = options.createClient(new PrismaPGlite(session));
    return {
      prisma,
      reads: pgliteReads(session),
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
