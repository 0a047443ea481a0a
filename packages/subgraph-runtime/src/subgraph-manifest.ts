import path from 'node:path';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import {
  baseEnvironment,
  type ClosedAccount,
  type ClosedAccounts,
  dataRoot,
  type ErrorCodeDeclarations,
  type Logger,
  parseEnvironment,
  port,
  variablesOf,
  z,
} from '@shop/platform';
import type { CacheDescription } from './cache-changes.js';
import type { PreparedReads } from './database/prepared-reads.js';
import { type DatabaseLocation, parseDatabaseUrl } from './database/url.js';
import type { RequestBase } from './subgraph-server.js';

interface PrismaLike {
  $disconnect(): Promise<void>;
}

/** Work a subgraph does on its own, besides answering requests: run at start, then every `everyMs`. */
export interface BackgroundJob {
  name: string;
  everyMs: number;
  run(): Promise<unknown>;
}

/** What a subgraph's `start` is given: its database client, its own settings, and the shared plumbing. */
export interface SubgraphSetup<Client, Settings> {
  prisma: Client;
  /** Prepared statements for the hot reads (one statement per fetch), beside Prisma. */
  reads: PreparedReads;
  settings: Settings;
  log: Logger;
  keys: { privatePem?: string | undefined; publicPem: string };
  internalToken: string;
  closedAccounts: ClosedAccounts;
}

/** A started subgraph's per-process parts: the per-request scope, and any background jobs. */
export interface SubgraphInstance<Context extends RequestBase> {
  context: (base: RequestBase) => Context;
  jobs?: BackgroundJob[];
}

/**
 * Everything the house needs to know about one subgraph, in its own folder (`subgraphs/<name>/src/subgraph.ts`):
 * the scripts, `npm start`, the tests and the benchmark discover subgraphs by these manifests.
 */
export interface SubgraphManifest<Client extends PrismaLike, Settings, Context extends RequestBase> {
  /** Also names its folders (`subgraphs/<name>`, `prisma/<name>`) and variables (`<NAME>_PORT`, `<NAME>_DATABASE_URL`). */
  name: string;
  port: number;
  schemaFile: URL;
  /** Prisma's migrations folder for this subgraph's database. */
  migrationsDir: URL;
  /** The subgraph's own variables, beyond the shared ones (zod). */
  settings: z.ZodType<Settings>;
  createClient: (adapter: SqlMigrationAwareDriverAdapterFactory, options: { logQueries: boolean }) => Client;
  /** Inserts the development data set; safe to run again (existing rows are kept). */
  seed: (prisma: Client) => Promise<void>;
  /**
   * Where this service learns which accounts are closed (their tokens are refused). Unset: it asks the users
   * service. The service that owns accounts reads them from its own table instead of asking itself over HTTP.
   */
  closedAccountsSource?: (database: {
    prisma: Client;
    reads: PreparedReads;
  }) => (since: Date) => Promise<ClosedAccount[]>;
  /**
   * The types whose rows it owns and what a change to a row means in cache tags (README: "Cache"). Without it
   * the subgraph has no change log for the routers to follow, and they never cache its fetches.
   */
  cache?: CacheDescription;
  /** The error codes of this subgraph's own domain, declared once here (README: "Errors"). */
  errorCodes?: ErrorCodeDeclarations;
  /** Resolver types for GraphQL Code Generator: the context type and the row type behind each GraphQL type. */
  codegen: { context: string; mappers: Record<string, string> };
  resolvers: object;
  start: (setup: SubgraphSetup<Client, Settings>) => SubgraphInstance<Context> | Promise<SubgraphInstance<Context>>;
}

// biome-ignore lint/suspicious/noExplicitAny: manifests differ in client, settings and context; callers treat them alike
export type AnySubgraphManifest = SubgraphManifest<any, any, any>;

/**
 * `createClient` for a generated Prisma client class: the driver adapter, transaction limits, and query events only when asked
 * (tests and /metrics count SQL statements with them). Typed as the plain client, not as one with events.
 */
export const prismaClient =
  <Client>(
    PrismaClient: new (options: {
      adapter: SqlMigrationAwareDriverAdapterFactory;
      log: never[];
      transactionOptions: { maxWait: number; timeout: number };
    }) => Client,
  ) =>
  (adapter: SqlMigrationAwareDriverAdapterFactory, { logQueries }: { logQueries: boolean }): Client =>
    new PrismaClient({
      adapter,
      log: (logQueries ? [{ emit: 'event', level: 'query' }] : []) as never[],
      // Waiting for a connection: as long as the pool waits (open.ts). Our transactions are a few statements;
      // one still open after 10 s is stuck, and rolling it back frees its row locks.
      transactionOptions: { maxWait: 3_000, timeout: 10_000 },
    });

export function defineSubgraph<Client extends PrismaLike, Settings, Context extends RequestBase>(
  manifest: SubgraphManifest<Client, Settings, Context>,
): SubgraphManifest<Client, Settings, Context> {
  return manifest;
}

/**
 * A subgraph's whole configuration, validated once at start: the shared variables, its port and database
 * (`<NAME>_PORT`, `<NAME>_DATABASE_URL`) and its own settings. Every problem is reported at once, by variable.
 */
export function parseSubgraphEnvironment<Settings>(
  manifest: { name: string; port: number; settings: z.ZodType<Settings> },
  env: NodeJS.ProcessEnv,
) {
  const names = variablesOf(manifest.name);
  const schema = z.object({
    shared: baseEnvironment,
    port: port(manifest.port),
    databaseUrl: z.string().min(1).optional(),
    settings: manifest.settings,
  });
  const input = { shared: env, port: env[names.port], databaseUrl: env[names.databaseUrl], settings: env };
  const variableOf = (at: PropertyKey[]) =>
    at[0] === 'port' ? names.port : at[0] === 'databaseUrl' ? names.databaseUrl : at.slice(1).join('.');
  return { ...parseEnvironment(schema, input, variableOf), names };
}

export type SubgraphEnvironment<Settings> = ReturnType<typeof parseSubgraphEnvironment<Settings>>;

/** Where the subgraph's database is: `<NAME>_DATABASE_URL`, else embedded PGlite in `<DATA_DIR>/<name>`. */
export const databaseLocation = (manifest: { name: string }, env: SubgraphEnvironment<unknown>): DatabaseLocation =>
  parseDatabaseUrl(env.names.databaseUrl, env.databaseUrl, path.join(dataRoot(env.shared), manifest.name));
