/**
 * The persisted-operations manifest for the router's safelist mode (PERSISTED_OPERATIONS=safelist):
 * operations/manifest.json maps each operation file's sha256 hash to its document.
 *   npm run operations:manifest    write it (schema:check fails while it is stale)
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MANIFEST_FILE, operationHash } from '../router/src/persisted-operations.js';

const operationsDir = path.join(path.dirname(MANIFEST_FILE));

export function buildManifest(): string {
  const files = readdirSync(operationsDir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.graphql'))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
  const manifest: Record<string, { file: string; document: string }> = {};
  for (const file of files) {
    const document = readFileSync(file, 'utf8');
    manifest[operationHash(document)] = { file: path.relative(operationsDir, file), document };
  }
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync(MANIFEST_FILE, buildManifest());
  console.log(`Wrote ${path.relative(process.cwd(), MANIFEST_FILE)}.`);
}
