import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { StartupError } from '@shop/platform';

export const MANIFEST_FILE = fileURLToPath(new URL('../../operations/manifest.json', import.meta.url));

/** sha256 of a document's exact text: the hash APQ clients send in `extensions.persistedQuery.sha256Hash`. */
export const operationHash = (document: string) => createHash('sha256').update(document).digest('hex');

export type Verdict = { ok: true; body: Record<string, unknown> } | { ok: false; message: string };

/**
 * Safelist mode: only the operations in operations/manifest.json run. A client sends either the hash
 * (APQ-style `extensions.persistedQuery.sha256Hash`, the document is filled in here) or a document whose
 * hash is listed; anything else is refused before parsing.
 */
export function loadSafelist(file = MANIFEST_FILE) {
  if (!existsSync(file))
    throw new StartupError(`PERSISTED_OPERATIONS=safelist needs ${file}; run npm run operations:manifest`);
  const manifest = JSON.parse(readFileSync(file, 'utf8')) as Record<string, { document: string }>;
  const documents = new Map(Object.entries(manifest).map(([hash, entry]) => [hash, entry.document]));

  return (body: Record<string, unknown>): Verdict => {
    const extensions = (body.extensions ?? {}) as { persistedQuery?: { sha256Hash?: unknown } };
    const hash = extensions.persistedQuery?.sha256Hash;
    if (typeof hash === 'string') {
      const document = documents.get(hash);
      if (!document) return { ok: false, message: `operation ${hash} is not in the safelist` };
      const { persistedQuery: _, ...otherExtensions } = extensions;
      return { ok: true, body: { ...body, query: document, extensions: otherExtensions } };
    }
    if (typeof body.query === 'string' && documents.has(operationHash(body.query))) return { ok: true, body };
    return {
      ok: false,
      message: 'only safelisted operations run here: send extensions.persistedQuery.sha256Hash of a listed operation',
    };
  };
}
