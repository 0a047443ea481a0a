import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type DatabaseLocation, MEMORY_DATABASE_URL, parseDatabaseUrl } from './index.js';

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
  await admin((client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    location: { kind: 'postgres', url: url.toString() },
    drop: () => admin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
