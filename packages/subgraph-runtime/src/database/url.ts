import path from 'node:path';
import { StartupError } from '@shop/platform';

/** Where a service keeps its data: a PostgreSQL server, or an embedded PGlite database (on disk or in memory). */
export type DatabaseLocation =
  | { kind: 'postgres'; url: string }
  | { kind: 'pglite'; dataDir: string }
  | { kind: 'pglite'; dataDir: null };

export const MEMORY_DATABASE_URL = 'pglite:memory';

/**
 * Reads `<SERVICE>_DATABASE_URL`: a `postgres://` or `postgresql://` URL selects PostgreSQL; unset or empty
 * selects the embedded default in `<dataRoot>/<service>`; `pglite:memory` an in-memory PGlite (tests);
 * `pglite:<dir>` (or `file:<dir>`) a PGlite database in that directory.
 */
export function parseDatabaseUrl(
  variable: string,
  value: string | undefined,
  defaultDataDir: string,
): DatabaseLocation {
  const raw = value?.trim() ?? '';
  if (raw === '') return { kind: 'pglite', dataDir: defaultDataDir };
  if (raw === MEMORY_DATABASE_URL) return { kind: 'pglite', dataDir: null };

  const embedded = /^(pglite|file):(.+)$/.exec(raw);
  if (embedded?.[2]) return { kind: 'pglite', dataDir: path.resolve(embedded[2]) };

  if (/^postgres(ql)?:\/\//.test(raw)) {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new StartupError(
        `${variable} is not a valid URL (expected postgres://user:password@host:5432/database); check for unescaped characters in the password`,
      );
    }
    if (!url.hostname || url.pathname.length <= 1) {
      throw new StartupError(
        `${variable} must name a host and a database, e.g. postgres://postgres@127.0.0.1:5432/shop_${variable.split('_')[0]?.toLowerCase()}`,
      );
    }
    return { kind: 'postgres', url: raw };
  }
  throw new StartupError(
    `${variable} must be a postgres:// URL, "pglite:memory", "pglite:<directory>", or unset for the embedded database (got "${redact(raw)}")`,
  );
}

/** A database URL without its password, for messages and logs. */
export function redact(url: string): string {
  return url.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@');
}
