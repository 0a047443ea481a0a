import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PGLITE_EXTENSIONS } from './database/pglite-extensions.js';
import type { PreparedReads } from './database/prepared-reads.js';
import {
  type DatabaseLocation,
  MEMORY_DATABASE_URL,
  openSubgraphDatabase,
  parseDatabaseUrl,
  type RequestBase,
  readMigrations,
  type SqlSession,
  type SubgraphManifest,
} from './index.js';

/**
 * Test databases: in-memory PGlite by default; with TEST_POSTGRES_URL (a server's admin URL), a uniquely
 * named PostgreSQL database per call, dropped again by `drop`. Never touches databases it did not create.
 */
export const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL;
export const databaseKind = TEST_POSTGRES_URL ? 'postgres' : 'pglite';

export interface TestDatabase {
  location: DatabaseLocation;
  drop(): Promise<void>;
}

export async function createTestDatabase(label: string): Promise<TestDatabase> {
  if (!TEST_POSTGRES_URL) {
    return { location: parseDatabaseUrl('TEST', MEMORY_DATABASE_URL, ''), drop: async () => undefined };
  }
  const name = `shop_test_${label}_${process.pid}_${randomBytes(4).toString('hex')}`;
  const created = await createPostgresDatabase(TEST_POSTGRES_URL, name);
  return { location: { kind: 'postgres', url: created.url }, drop: created.drop };
}

/**
 * Creates a database named `name` on the PostgreSQL server of `adminUrl` (a URL to any database there, e.g.
 * `postgres`); `drop` removes it again, closing its connections. Used by the tests and the benchmark.
 */
export async function createPostgresDatabase(adminUrl: string, name: string) {
  await withPostgresClient(adminUrl, (client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      await withPostgresClient(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}

async function withPostgresClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A raw SQL session on a test database, for tests that inspect tables directly. */
export async function openSqlSession(location: DatabaseLocation): Promise<SqlSession & { close(): Promise<void> }> {
  if (location.kind === 'postgres') {
    const client = new pg.Client({ connectionString: location.url });
    await client.connect();
    return {
      query: async (sql, params) => (await client.query(sql, params)).rows,
      exec: async (script) => void (await client.query(script)),
      close: () => client.end(),
    };
  }
  const db = await PGlite.create(location.dataDir ?? undefined, { extensions: PGLITE_EXTENSIONS });
  return {
    query: async (sql, params) => (await db.query(sql, params)).rows as never,
    exec: async (script) => void (await db.exec(script)),
    close: () => db.close(),
  };
}

/**
 * A service's database for repository tests: migrated from empty, then closed and opened again (so tests can
 * see that the second run applies nothing). PGlite in a temporary directory, or a new PostgreSQL database.
 */
export async function openMigratedTwice<Client extends { $disconnect(): Promise<void> }>(
  manifest: Pick<SubgraphManifest<Client, never, RequestBase>, 'name' | 'migrationsDir' | 'createClient'>,
) {
  let location: DatabaseLocation;
  let drop: () => Promise<void>;
  if (TEST_POSTGRES_URL) {
    const testDatabase = await createTestDatabase(manifest.name);
    location = testDatabase.location;
    drop = testDatabase.drop;
  } else {
    const dataDir = mkdtempSync(path.join(tmpdir(), `shop-${manifest.name}-`));
    location = { kind: 'pglite', dataDir };
    drop = async () => rmSync(dataDir, { recursive: true, force: true });
  }
  // From the empty cluster: these tests are about the migrations applying.
  const first = await openSubgraphDatabase(manifest, location, { pgliteTemplate: 'empty' });
  await first.close();
  const second = await openSubgraphDatabase(manifest, location);
  return {
    firstRun: first.migrations,
    secondRun: second.migrations,
    prisma: second.prisma,
    reads: second.reads,
    location,
    close: async () => {
      await second.close();
      await drop();
    },
  };
}

/**
 * A subgraph's repository tests' database (openMigratedTwice, opened before and closed after the file's tests),
 * with the test every subgraph needs: its migrations apply to an empty database, and nothing when run again.
 */
export function migratedDatabase<Client extends { $disconnect(): Promise<void> }>(
  manifest: Pick<SubgraphManifest<Client, never, RequestBase>, 'name' | 'migrationsDir' | 'createClient'>,
) {
  let opened: Awaited<ReturnType<typeof openMigratedTwice<Client>>> | undefined;
  beforeAll(async () => {
    opened = await openMigratedTwice(manifest);
  });
  afterAll(() => opened?.close());
  it(`applies the ${manifest.name} migrations to an empty ${databaseKind} database, and nothing when run again`, () => {
    const names = readMigrations(fileURLToPath(manifest.migrationsDir)).map((migration) => migration.name);
    expect(opened?.firstRun).toEqual({ created: true, applied: names });
    expect(opened?.secondRun).toEqual({ created: false, applied: [] });
  });
  return {
    get prisma(): Client {
      if (!opened) throw new Error('the database opens before the tests run (beforeAll)');
      return opened.prisma;
    },
    get reads(): PreparedReads {
      if (!opened) throw new Error('the database opens before the tests run (beforeAll)');
      return opened.reads;
    },
  };
}
