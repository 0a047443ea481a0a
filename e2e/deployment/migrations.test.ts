import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { variablesOf } from '@shop/platform';
import { createTestDatabase, databaseKind, type TestDatabase } from '@shop/subgraph-runtime/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { REPOSITORY_ROOT, subgraphNames } from '../../scripts/subgraphs.js';
import { startSubgraphProcess } from '../harness/subgraph-process.js';

/**
 * How a cluster migrates (README: "Deploying"): each subgraph's Deployment runs with MIGRATE_ON_START=false and
 * must refuse a database its migration Job has not migrated yet; the Job's command (`main.js migrate`) migrates
 * an empty database and exits; then the subgraph starts on it. On PostgreSQL, as in a cluster.
 */
const dataDir = mkdtempSync(path.join(tmpdir(), 'shop-migrate-'));
const databases: TestDatabase[] = [];
afterAll(async () => {
  for (const database of databases) await database.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Runs a subgraph's main to its end: its exit code and what it printed on stderr. */
function runToEnd(service: string, args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(REPOSITORY_ROOT, `subgraphs/${service}/src/main.ts`), ...args],
      { cwd: REPOSITORY_ROOT, env: { PATH: process.env.PATH, LOG_LEVEL: 'silent', ...env } },
    );
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe.skipIf(databaseKind !== 'postgres')('migration Jobs and MIGRATE_ON_START=false, on PostgreSQL', () => {
  it.each(subgraphNames())(
    '%s: refuses an unmigrated database, and its migration command migrates it',
    async (service) => {
      const database = await createTestDatabase(`migrate_${service}`);
      databases.push(database);
      if (database.location.kind !== 'postgres') throw new Error('expected PostgreSQL');
      const env = {
        DATA_DIR: dataDir,
        MIGRATE_ON_START: 'false',
        [variablesOf(service).databaseUrl]: database.location.url,
        [variablesOf(service).port]: '0',
      };
      const refused = await runToEnd(service, [], env);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/lacks \d+ migration\(s\).*MIGRATE_ON_START is false/);

      const migrated = await runToEnd(service, ['migrate'], env);
      expect(migrated).toMatchObject({ code: 0 });
      // Applying again (a Job re-run for the next release) is harmless.
      expect((await runToEnd(service, ['migrate'], env)).code).toBe(0);

      const started = await startSubgraphProcess(service, env);
      await started.stop();
      expect(started.unexpectedExits).toEqual([]);
    },
    120_000,
  );
});
