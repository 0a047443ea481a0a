import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';

/**
 * The PostgreSQL extensions the migrations create, loaded into every embedded database (PGlite ships them as
 * bundles loaded at open): pg_trgm, whose GIN indexes serve the catalogue's and the FAQ's text searches.
 */
export const PGLITE_EXTENSIONS = { pg_trgm } as const;
