/**
 * Every service's database for one benchmark phase: PGlite directories under the run's work directory,
 * or, with BENCH_DATABASE_URL (a PostgreSQL admin URL), one new uniquely named database per service, dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { hash } from '@node-rs/argon2';
import { variablesOf } from '@shop/platform';
import { type DatabaseLocation, openSubgraphDatabase, parseDatabaseUrl } from '@shop/subgraph-runtime';
import { createPostgresDatabase } from '@shop/subgraph-runtime/testing';
import { loadSubgraphs } from '../../scripts/subgraphs.js';
import { BENCH_PASSWORD, datasetSql } from './dataset.js';

const manifests = await loadSubgraphs();
/** Every subgraph of the repository, discovered by its manifest. */
export const SERVICES = manifests.map((manifest) => manifest.name);

export interface DatabaseSet {
  /** `<SERVICE>_DATABASE_URL` for each service. */
  env: Record<string, string>;
  locations: Record<string, DatabaseLocation>;
  drop(): Promise<void>;
}

export async function provisionDatabases(label: string, workDir: string, adminUrl: string | undefined) {
  const env: Record<string, string> = {};
  const locations: Record<string, DatabaseLocation> = {};
  const drops: (() => Promise<void>)[] = [];
  for (const service of SERVICES) {
    const variable = variablesOf(service).databaseUrl;
    let url: string;
    if (adminUrl) {
      const name = `shop_bench_${label}_${service}_${process.pid}_${randomBytes(3).toString('hex')}`;
      const created = await createPostgresDatabase(adminUrl, name);
      drops.push(created.drop);
      url = created.url;
    } else {
      url = `pglite:${path.join(workDir, label, service)}`; // the work directory is removed as a whole
    }
    env[variable] = url;
    locations[service] = parseDatabaseUrl(variable, url, '');
  }
  const drop = async () => {
    for (const dropOne of drops) await dropOne();
  };
  return { env, locations, drop } satisfies DatabaseSet;
}

/** Migrates each database (as the service would at start) and loads the benchmark data set into it. */
export async function loadDataset(set: DatabaseSet): Promise<void> {
  const passwordHash = await hash(BENCH_PASSWORD);
  await Promise.all(
    manifests.map(async (manifest) => {
      const service = manifest.name;
      const database = await openSubgraphDatabase(manifest, set.locations[service] as DatabaseLocation);
      try {
        const prisma = database.prisma as unknown as { $executeRawUnsafe(sql: string): Promise<number> };
        for (const statement of datasetSql(service, passwordHash)) await prisma.$executeRawUnsafe(statement);
        // Planner statistics for the new rows: PGlite has no autovacuum, and PostgreSQL's would come later.
        await prisma.$executeRawUnsafe('ANALYZE');
      } finally {
        await database.close();
      }
    }),
  );
}
