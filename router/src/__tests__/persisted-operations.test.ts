import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPersistedOperations, operationHash, persistedDocuments } from '../persisted-operations.js';

/** Persisted operations: a hash stands for a listed document; with the safelist, nothing else runs. */
const listed = 'query Listed { products { totalCount } }';
const hash = operationHash(listed);
const manifest = path.join(mkdtempSync(path.join(tmpdir(), 'manifest-')), 'manifest.json');
writeFileSync(manifest, JSON.stringify({ [hash]: listed }));
const byHash = { extensions: { persistedQuery: { version: 1, sha256Hash: hash } } };

describe('persisted operations', () => {
  it('fills in the document of a listed hash', () => {
    const verdict = loadPersistedOperations({ safelist: false }, manifest)?.(byHash);
    expect(verdict).toEqual({ ok: true, body: { query: listed, extensions: {} } });
    expect(persistedDocuments(manifest)).toEqual([listed]);
  });

  it('without the safelist, lets any other operation through', () => {
    const check = loadPersistedOperations({ safelist: false }, manifest);
    expect(check?.({ query: '{ me { id } }' })).toEqual({ ok: true, body: { query: '{ me { id } }' } });
  });

  it('with the safelist, runs listed operations only, by hash or by their exact text', () => {
    const check = loadPersistedOperations({ safelist: true }, manifest);
    expect(check?.(byHash).ok).toBe(true);
    expect(check?.({ query: listed }).ok).toBe(true);
    expect(check?.({ query: '{ me { id } }' })).toMatchObject({ ok: false });
    const unknown = { extensions: { persistedQuery: { sha256Hash: 'f'.repeat(64) } } };
    expect(check?.(unknown)).toEqual({ ok: false, message: `operation ${'f'.repeat(64)} is not in the safelist` });
  });

  it('needs a manifest for the safelist, and without one checks nothing', () => {
    expect(() => loadPersistedOperations({ safelist: true }, '/nonexistent/manifest.json')).toThrow(/npm run codegen/);
    expect(loadPersistedOperations({ safelist: false }, '/nonexistent/manifest.json')).toBeNull();
    expect(persistedDocuments('/nonexistent/manifest.json')).toEqual([]);
  });
});
