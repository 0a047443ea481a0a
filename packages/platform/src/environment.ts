import path from 'node:path';
import { z } from 'zod';
import { StartupError } from './startup-error.js';

export { z };

/** Settings every subgraph shares; each service extends this with its own. */
export const baseEnvironment = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().min(1).optional(),
  /** PEM keys for tokens: every service verifies with the public key; only users signs, with the private one. */
  JWT_PUBLIC_KEY: z.string().optional(),
  JWT_PRIVATE_KEY: z.string().optional(),
  /** Shared secret for internal service-to-service operations; generated into DATA_DIR/keys outside production. */
  INTERNAL_API_TOKEN: z.string().min(32).optional(),
  /** The users subgraph, asked for recently closed accounts (whose tokens every service then refuses). */
  USERS_URL: z.url().default('http://127.0.0.1:4001/graphql'),
  /** How often each service asks users for closed accounts: the longest a closed account's token still works. */
  CLOSED_ACCOUNTS_POLL_SECONDS: z.coerce.number().int().min(1).max(300).default(5),
  /**
   * false: a subgraph applies no migrations at start and refuses a database that lacks some; a migration job
   * (`node dist/main.js migrate`) applies them once, before the replicas start (Kubernetes).
   */
  MIGRATE_ON_START: z.enum(['true', 'false']).default('true'),
  /** On SIGTERM, keep serving this long (answers close their connections) before refusing new ones. */
  SHUTDOWN_DRAIN_MS: z.coerce.number().int().min(0).max(60_000).default(1000),
});

export const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

/**
 * Parses the environment against a service's schema. Every problem is reported at once, in one line, so a
 * misconfigured deployment is fixed in one go.
 */
export function parseEnvironment<Schema extends z.ZodType>(
  schema: Schema,
  env: unknown,
  variableOf: (path: PropertyKey[]) => string = (at) => at.join('.'),
): z.infer<Schema> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${variableOf(issue.path) || '(environment)'}: ${issue.message}`,
    );
    throw new StartupError(`invalid configuration: ${problems.join('; ')}`);
  }
  const placeholders = placeholdersIn(result.data).map((at) => variableOf(at));
  if (placeholders.length > 0) {
    throw new StartupError(
      `invalid configuration: ${placeholders.join(', ')} still hold${placeholders.length === 1 ? 's' : ''} a placeholder ("replace-with…", "change-me"); set the real value`,
    );
  }
  return result.data;
}

/** Values copied from an example and never filled in: a secret that "works" with one is worse than none. */
const PLACEHOLDER = /replace[-_ ]?(with|me)|change[-_ ]?me|placeholder/i;

/** The paths of every string setting that still holds a placeholder. */
function placeholdersIn(value: unknown, at: PropertyKey[] = []): PropertyKey[][] {
  if (typeof value === 'string') return PLACEHOLDER.test(value) ? [at] : [];
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, inner]) => placeholdersIn(inner, [...at, key]));
}

/** Where embedded databases and development keys live: DATA_DIR, or .data/ in the working directory. */
export const dataRoot = (env: { DATA_DIR?: string | undefined }) => path.resolve(env.DATA_DIR ?? '.data');

/** The variable names a service's name implies: `<NAME>_PORT`, `<NAME>_DATABASE_URL`, `<NAME>_URL`. */
export const variablesOf = (name: string) => {
  const prefix = name.toUpperCase().replace(/\W/g, '_');
  return { port: `${prefix}_PORT`, databaseUrl: `${prefix}_DATABASE_URL`, url: `${prefix}_URL` };
};
