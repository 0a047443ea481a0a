import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { StartupError } from '@shop/platform';
import { afterEach, describe, expect, it } from 'vitest';
import { applyMigrations, MigrationError, readMigrations } from '../database/migrations.js';
import { openDatabase } from '../database/open.js';
import { createTestDatabase, databaseKind, openSqlSession, type TestDatabase } from '../testing.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function migrationsDir(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'shop-migrations-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, sql] of Object.entries(files)) {
    mkdirSync(path.join(dir, name));
    writeFileSync(path.join(dir, name, 'migration.sql'), sql);
  }
  return dir;
}

async function testDatabase(): Promise<TestDatabase> {
  const database = await createTestDatabase('migrations');
  cleanups.push(() => database.drop());
  return database;
}

async function session(database: TestDatabase) {
  const opened = await openSqlSession(database.location);
  cleanups.push(() => opened.close());
  return opened;
}

const GOOD = {
  '20260101000000_init': 'CREATE TABLE "things" ("id" INTEGER PRIMARY KEY, "name" TEXT NOT NULL);',
  '20260102000000_add_index': 'CREATE UNIQUE INDEX "things_name_key" ON "things"("name");',
};

describe(`the migration runner on ${databaseKind}`, () => {
  it('applies migrations from empty, records them as Prisma does, and is a no-op the second time', async () => {
    const sql = await session(await testDatabase());
    const migrations = readMigrations(migrationsDir(GOOD));

    const first = await applyMigrations(sql, migrations);
    expect(first).toEqual({ created: true, applied: Object.keys(GOOD) });
    const history = await sql.query<{
      migration_name: string;
      checksum: string;
      finished_at: Date | null;
      applied_steps_count: number;
    }>(
      'SELECT migration_name, checksum, finished_at, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name',
    );
    expect(history.map((row) => row.migration_name)).toEqual(Object.keys(GOOD));
    expect(history.map((row) => row.checksum)).toEqual(migrations.map((migration) => migration.checksum));
    expect(history.every((row) => row.finished_at !== null && row.applied_steps_count === 1)).toBe(true);

    expect(await applyMigrations(sql, migrations)).toEqual({ created: false, applied: [] });
    expect(await sql.query('SELECT * FROM "_prisma_migrations"')).toHaveLength(2);
  });

  it('rolls a broken migration back, names the file and the SQL error, and records it as failed', async () => {
    const sql = await session(await testDatabase());
    const dir = migrationsDir({
      ...GOOD,
      '20260103000000_broken':
        'ALTER TABLE "things" ADD COLUMN "price" INTEGER;\nALTER TABLE "no_such_table" ADD COLUMN "x" INTEGER;',
    });
    const failure = await applyMigrations(sql, readMigrations(dir)).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(MigrationError);
    expect((failure as Error).message).toContain('20260103000000_broken');
    expect((failure as Error).message).toContain(path.join(dir, '20260103000000_broken', 'migration.sql'));
    expect((failure as Error).message).toMatch(/no_such_table/);

    // The first statement of the broken file was rolled back with it.
    const columns = await sql.query<{ column_name: string }>(
      "SELECT column_name FROM information_schema.columns WHERE table_name = 'things' ORDER BY column_name",
    );
    expect(columns.map((column) => column.column_name)).toEqual(['id', 'name']);
    const failed = await sql.query<{ finished_at: Date | null; logs: string }>(
      `SELECT finished_at, logs FROM "_prisma_migrations" WHERE migration_name = '20260103000000_broken'`,
    );
    expect(failed).toHaveLength(1);
    expect(failed[0]?.finished_at).toBeNull();
    expect(failed[0]?.logs).toMatch(/no_such_table/);

    // Like Prisma (P3009), a recorded failure blocks later runs until someone resolves it.
    await expect(applyMigrations(sql, readMigrations(dir))).rejects.toThrow(/failed earlier/);
  });

  it.runIf(databaseKind === 'postgres')('applies each migration once when replicas start together', async () => {
    const database = await testDatabase();
    const migrations = readMigrations(migrationsDir(GOOD));
    const sessions = await Promise.all([1, 2, 3].map(() => session(database)));
    const results = await Promise.all(sessions.map((sql) => applyMigrations(sql, migrations)));
    expect(results.flatMap((result) => result.applied).sort()).toEqual(Object.keys(GOOD));
    expect(await sessions[0]?.query('SELECT * FROM "_prisma_migrations"')).toHaveLength(2);
  });
});

describe('the embedded database', () => {
  it('refuses a second opener of the same directory with a clear message, and opens again once released', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'shop-pglite-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const options = {
      location: { kind: 'pglite', dataDir } as const,
      migrationsDir: migrationsDir(GOOD),
      createClient: () => ({ $disconnect: async () => undefined }),
    };
    const first = await openDatabase(options);
    expect(first.migrations.created).toBe(true);
    const second = await openDatabase(options).catch((error: unknown) => error);
    expect(second).toBeInstanceOf(StartupError);
    expect((second as Error).message).toContain(`${dataDir} is in use by process ${process.pid}`);
    await first.close();

    const again = await openDatabase(options);
    expect(again.migrations).toEqual({ created: false, applied: [] });
    await again.close();
  });

  it('takes over a lock left by a process that no longer runs', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'shop-pglite-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    writeFileSync(path.join(dataDir, 'shop.lock'), '999999999');
    const opened = await openDatabase({
      location: { kind: 'pglite', dataDir },
      migrationsDir: migrationsDir(GOOD),
      createClient: () => ({ $disconnect: async () => undefined }),
    });
    await opened.close();
  });
});

describe('opening PostgreSQL', () => {
  it('fails with one clear line when the server is unreachable', async () => {
    const failure = await openDatabase({
      location: { kind: 'postgres', url: 'postgres://postgres:secret@127.0.0.1:1/nowhere' },
      migrationsDir: migrationsDir(GOOD),
      createClient: () => ({ $disconnect: async () => undefined }),
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StartupError);
    expect((failure as Error).message).toMatch(
      /^cannot connect to PostgreSQL at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/nowhere/,
    );
  });
});
