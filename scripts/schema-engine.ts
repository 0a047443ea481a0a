import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import * as bindings from '@prisma/schema-engine-wasm/schema_engine_bg';
import { applyMigrations, PGLITE_EXTENSIONS, readMigrations } from '@shop/subgraph-runtime';
import { PrismaPGlite } from 'pglite-prisma-adapter';

/**
 * Prisma's schema engine (the engine behind `prisma migrate`), compiled to WebAssembly and run in-process,
 * because the native engine can't be downloaded offline.
 *
 * The engine compares a live database with a schema. Our "shadow database" is an in-memory PGlite on which
 * we replay the service's migrations with the same runner the services use at start; the engine then diffs
 * that database against schema.prisma. An empty diff means the migrations produce exactly the schema.
 */
export async function diffMigrationsToSchema(
  schemaFile: string,
  migrationsDir: string,
  output: 'sql' | 'summary',
): Promise<{ changed: boolean; text: string }> {
  const shadow = new PGlite({ extensions: PGLITE_EXTENSIONS });
  try {
    const { exec } = shadow;
    await applyMigrations(
      {
        query: async (sql, params) => (await shadow.query(sql, params)).rows as never,
        exec: (script) => exec.call(shadow, script).then(() => undefined),
      },
      readMigrations(migrationsDir),
    );
    const schema = { path: schemaFile, content: await readFile(schemaFile, 'utf8') };
    const engine = await loadEngine([schema], shadow);
    const result = await engine.diff({
      from: { tag: 'schemaDatasource', files: [schema], configDir: path.dirname(schemaFile) },
      to: { tag: 'schemaDatamodel', files: [schema] },
      script: output === 'sql',
      exitCode: true,
      filters: { externalTables: [], externalEnums: [] },
    });
    return { changed: result.exitCode !== 0, text: result.stdout ?? '' };
  } finally {
    await shadow.close();
  }
}

let initialised = false;

// Node's WebAssembly, typed just as far as used here (the project compiles without the DOM library).
const webAssembly = (
  globalThis as unknown as {
    WebAssembly: { instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: { exports: object } }> };
  }
).WebAssembly;

async function loadEngine(files: { path: string; content: string }[], database: PGlite) {
  if (!initialised) {
    const require = createRequire(import.meta.url);
    const wasm = path.join(path.dirname(require.resolve('@prisma/schema-engine-wasm')), 'schema_engine_bg.wasm');
    const { instance } = await webAssembly.instantiate(await readFile(wasm), { './schema_engine_bg.js': bindings });
    bindings.__wbg_set_wasm(instance.exports);
    (instance.exports as { __wbindgen_start: () => void }).__wbindgen_start();
    initialised = true;
  }
  const log = (line: string) => process.env.DEBUG_SCHEMA_ENGINE && console.error(line);
  const adapter = bindMigrationAwareSqlAdapterFactory(new PrismaPGlite(database));
  const datamodels = files.map((file): [string, string] => [file.path, file.content]);
  return bindings.SchemaEngine.new({ datamodels }, log, adapter);
}
