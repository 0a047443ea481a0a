import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { LOCK_FILE } from './pglite-lock.js';

/**
 * A new embedded database starts from a template: PGlite's `initdb` costs ~5 s of CPU per database (four at
 * once on a new data directory), while unpacking a cluster made once takes ~1 s. `npm install` makes the
 * template (`npm run db:generate`) next to PGlite in node_modules/.cache, one per PGlite version.
 */
function templateFile(): string {
  // The package does not export its package.json: walk up from its entry point to it.
  let directory = path.dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
  while (!existsSync(path.join(directory, 'package.json'))) directory = path.dirname(directory);
  const { version } = JSON.parse(readFileSync(path.join(directory, 'package.json'), 'utf8')) as { version: string };
  // …/node_modules/@electric-sql/pglite → …/node_modules/.cache
  const nodeModules = path.resolve(directory, '..', '..');
  return path.join(nodeModules, '.cache', 'shop-pglite-template', `pglite-${version}.tar.gz`);
}

/** The template to create a new data directory from, when there is one and the directory is new. */
export function pgliteTemplateFor(dataDir: string): Blob | null {
  const isNew = !existsSync(dataDir) || readdirSync(dataDir).every((name) => name === LOCK_FILE);
  const file = templateFile();
  return isNew && existsSync(file) ? new Blob([readFileSync(file)]) : null;
}

/** Makes the template unless it exists (written to a temporary name first, so a reader never sees half). */
export async function ensurePgliteTemplate(): Promise<{ file: string; created: boolean }> {
  const file = templateFile();
  if (existsSync(file)) return { file, created: false };
  const cluster = await PGlite.create();
  const dump = await cluster.dumpDataDir('gzip');
  await cluster.close();
  mkdirSync(path.dirname(file), { recursive: true });
  const partial = `${file}.${process.pid}.tmp`;
  writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
  renameSync(partial, file);
  return { file, created: true };
}
