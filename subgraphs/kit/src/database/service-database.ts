import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPOSITORY_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** Where embedded databases and development keys live: DATA_DIR, or .data/ at the repository root. */
export const dataRoot = (env: { DATA_DIR?: string | undefined }) =>
  path.resolve(env.DATA_DIR ?? path.join(REPOSITORY_ROOT, '.data'));
