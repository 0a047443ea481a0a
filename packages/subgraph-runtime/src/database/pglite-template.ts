import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { applyMigrations, readMigrations } from './migrations.js';
import { PGLITE_EXTENSIONS } from './pglite-extensions.js';
import { LOCK_FILE } from './pglite-lock.js';

/**
 * A new embedded database starts from a template: PGlite's `initdb` costs ~5 s of CPU per database (four at
 * once on a new data directory), while unpacking a cluster made once takes ~1 s. `npm install` makes the
 * templates (`npm run db:generate`) next to PGlite in node_modules/.cache: an empty cluster per PGlite version,
 * and per service one with its migrations applied (named by a hash of them, so a new migration makes a new one;
 * until then the empty one is used and the migrations applied at start).
 */
function templateFile(migrationsDir?: string): string {
  // The package does not export its package.json: walk up from its entry point to it.
  let directory = path.dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
  while (!existsSync(path.join(directory, 'package.json'))) directory = path.dirname(directory);
  const { version } = JSON.parse(readFileSync(path.join(directory, 'package.json'), 'utf8')) as { version: string };
  // …/node_modules/@electric-sql/pglite → …/node_modules/.cache
  const nodeModules = path.resolve(directory, '..', '..');
  // The empty cluster is an archive; a migrated one a data directory, copied as it is.
  const name = migrationsDir ? `pglite-${version}-${migrationsHash(migrationsDir)}` : `pglite-${version}.tar.gz`;
  return path.join(nodeModules, '.cache', 'shop-pglite-template', name);
}

/** A short hash of a migrations folder's migrations (names and SQL). */
function migrationsHash(migrationsDir: string): string {
  const hash = createHash('sha256');
  for (const migration of readMigrations(migrationsDir)) hash.update(migration.name).update(migration.checksum);
  return hash.digest('hex').slice(0, 16);
}

/**
 * Prepares a new data directory from a template: a copy of the service's migrated cluster when `npm install`
 * made one (a file copy, no unpacking: the same time as opening an existing directory), else the empty cluster's
 * archive to unpack (returned, for PGlite's `loadDataDir`), else nothing (PGlite runs initdb). Null and nothing
 * done for a directory that is not new.
 */
export function prepareFromTemplate(dataDir: string, migrationsDir: string | null): { archive: Blob | null } | null {
  const isNew = !existsSync(dataDir) || readdirSync(dataDir).every((name) => name === LOCK_FILE);
  if (!isNew) return null;
  const migrated = migrationsDir ? templateFile(migrationsDir) : null;
  if (migrated && existsSync(migrated)) {
    cpSync(migrated, dataDir, { recursive: true });
    return { archive: null };
  }
  const file = templateFile();
  return existsSync(file) ? { archive: new Blob([readFileSync(file)]) } : null;
}

/** Makes a service's migrated template unless it exists: a data directory with its migrations applied. */
export async function ensureMigratedTemplate(migrationsDir: string): Promise<{ file: string; created: boolean }> {
  const file = templateFile(migrationsDir);
  if (existsSync(file)) return { file, created: false };
  const base = await ensurePgliteTemplate();
  const partial = `${file}.${process.pid}.tmp`;
  const cluster = await PGlite.create(partial, {
    loadDataDir: new Blob([readFileSync(base.file)]),
    extensions: PGLITE_EXTENSIONS,
  });
  try {
    await applyMigrations(
      {
        query: async (sql, params) => (await cluster.query(sql, params)).rows as never,
        exec: async (script) => void (await cluster.exec(script)),
      },
      readMigrations(migrationsDir),
    );
    await cluster.close();
  } catch (error) {
    await cluster.close().catch(() => undefined);
    rmSync(partial, { recursive: true, force: true });
    throw error;
  }
  try {
    renameSync(partial, file); // whole or not at all: a reader never sees half
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    if (!existsSync(file)) throw error; // else another process made the same template first
    return { file, created: false };
  }
  return { file, created: true };
}

async function write(file: string, dump: Blob): Promise<void> {
  mkdirSync(path.dirname(file), { recursive: true });
  const partial = `${file}.${process.pid}.tmp`;
  writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
  renameSync(partial, file);
}

/** Makes the template unless it exists (written to a temporary name first, so a reader never sees half). */
export async function ensurePgliteTemplate(): Promise<{ file: string; created: boolean }> {
  const file = templateFile();
  if (existsSync(file)) return { file, created: false };
  const cluster = await PGlite.create();
  const dump = await cluster.dumpDataDir('gzip');
  await cluster.close();
  await write(file, dump);
  return { file, created: true };
}
