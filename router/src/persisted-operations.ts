import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { StartupError } from '@shop/platform';

export const MANIFEST_FILE = fileURLToPath(new URL('../../operations/manifest.json', import.meta.url));

/** sha256 of a document's exact text: the hash APQ clients send in `extensions.persistedQuery.sha256Hash`. */
export const operationHash = (document: string) => createHash('sha256').update(document).digest('hex');

/** operations/manifest.json as hash → document; null when there is none. */
function readManifest(file: string): Map<string, string> | null {
  return existsSync(file)
    ? new Map(Object.entries(JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>))
    : null;
}

/** The documents of operations/manifest.json (none without one): the router prepares them at start. */
export function persistedDocuments(file = MANIFEST_FILE): string[] {
  return [...(readManifest(file)?.values() ?? [])];
}

export type Verdict = { ok: true; body: Record<string, unknown> } | { ok: false; message: string };

/**
 * The project's persisted operations (operations/manifest.json, written by `npm run codegen`: hash → document).
 * A client sends the hash (APQ-style `extensions.persistedQuery.sha256Hash`) and the document is filled in here,
 * so the storefront ships and sends no query text. With `safelist`, only these operations run: a hash not listed
 * or a document whose hash is not listed is refused before parsing. Otherwise anything else goes on to Apollo
 * Server (ad-hoc queries, and APQ for other hashes). Null when there is no manifest and none is required.
 */
export function loadPersistedOperations({ safelist }: { safelist: boolean }, file = MANIFEST_FILE) {
  const documents = readManifest(file);
  if (!documents) {
    if (safelist) throw new StartupError(`PERSISTED_OPERATIONS=safelist needs ${file}; run npm run codegen`);
    return null;
  }

  return (body: Record<string, unknown>): Verdict => {
    const extensions = (body.extensions ?? {}) as { persistedQuery?: { sha256Hash?: unknown } };
    const hash = extensions.persistedQuery?.sha256Hash;
    const document = typeof hash === 'string' ? documents.get(hash) : undefined;
    if (document !== undefined) {
      const { persistedQuery: _, ...otherExtensions } = extensions;
      return { ok: true, body: { ...body, query: document, extensions: otherExtensions } };
    }
    if (!safelist) return { ok: true, body };
    if (typeof hash === 'string') return { ok: false, message: `operation ${hash} is not in the safelist` };
    if (typeof body.query === 'string' && documents.has(operationHash(body.query))) return { ok: true, body };
    return {
      ok: false,
      message: 'only safelisted operations run here: send extensions.persistedQuery.sha256Hash of a listed operation',
    };
  };
}
