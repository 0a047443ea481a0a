import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { databaseKind } from '@shop/subgraph-runtime/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { REPOSITORY_ROOT } from '../../scripts/subgraphs.js';
import { freePort } from '../harness/ports.js';
import { until } from '../harness/subgraph-process.js';
import { contextFiles, parseDockerfile, type ReplayedStage, replayDockerfile } from './dockerfile-replay.js';

/**
 * No Docker engine runs here, so the Dockerfile is replayed (dockerfile-replay.ts): every stage in an empty
 * folder with exactly what it copies, its RUN lines in order, then the final stage's command started for the
 * router and a subgraph, as the image's unprivileged user, until they answer /health and the image's own
 * HEALTHCHECK passes. The image does not depend on the database, so this runs in the PGlite pass only.
 */
const workDir = mkdtempSync(path.join(tmpdir(), 'shop-dockerfile-'));
chmodSync(workDir, 0o755); // the image's user (not the owner) runs the final stage from here
const started: ChildProcess[] = [];
afterAll(async () => {
  for (const child of started) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(workDir, { recursive: true, force: true });
});

/** Every package in a node_modules tree, nested ones included (workspace links are not packages). */
function installedPackages(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || !entry.isDirectory()) continue;
    const names = entry.name.startsWith('@')
      ? readdirSync(path.join(dir, entry.name), { withFileTypes: true })
          .filter((scoped) => scoped.isDirectory())
          .map((scoped) => `${entry.name}/${scoped.name}`)
      : [entry.name];
    for (const name of names) {
      found.push(name);
      const nested = path.join(dir, name, 'node_modules');
      if (existsSync(nested)) found.push(...installedPackages(nested));
    }
  }
  return found;
}

const dockerfile = parseDockerfile(readFileSync(path.join(REPOSITORY_ROOT, 'Dockerfile'), 'utf8'));

describe.skipIf(databaseKind === 'postgres')('the Dockerfile, replayed stage by stage without Docker', () => {
  it('fails a step that needs a file its stage never copied', () => {
    const stages = parseDockerfile(
      'FROM node:24 AS only\nWORKDIR /app\nCOPY package.json ./\nRUN test -f scripts/db.ts\n',
    );
    expect(() =>
      replayDockerfile(stages, {
        context: REPOSITORY_ROOT,
        files: contextFiles(REPOSITORY_ROOT),
        workDir: path.join(workDir, 'negative'),
      }),
    ).toThrow(/RUN test -f scripts\/db.ts exited 1/);
  });

  it('builds, and its runtime stage starts every service (four subgraphs, the router, the storefront) on compiled code as a non-root user', async () => {
    const steps: string[] = [];
    const stages = replayDockerfile(dockerfile, {
      context: REPOSITORY_ROOT,
      files: contextFiles(REPOSITORY_ROOT),
      workDir,
      log: (line) => steps.push(line),
    });
    const runtime = stages.at(-1) as ReplayedStage;
    expect(runtime.name).toBe('runtime');
    expect(runtime.user).toBe('node');
    expect(runtime.command).toEqual(['sh', 'start.sh']);
    expect(dockerfile.at(-1)?.image).toMatch(/^node:24-bookworm-slim$/);

    // What the runtime image holds: production dependencies only, compiled code, no TypeScript sources.
    const installed = new Set(installedPackages(path.join(runtime.dir, 'node_modules')));
    // The storefront's app is built: Vite and the app's own libraries (wouter) stay in the build stage. (React is
    // there, version 18, for the router's explorer.)
    for (const devOnly of [
      'tsx',
      'typescript',
      'vitest',
      'esbuild',
      'prisma',
      '@biomejs/biome',
      'turbo',
      'vite',
      'wouter',
    ]) {
      expect(installed.has(devOnly), `${devOnly} is not in the runtime image`).toBe(false);
    }
    expect(readdirSync(path.join(runtime.dir, 'subgraphs', 'users'))).toEqual(
      expect.arrayContaining(['dist', 'schema.graphql', 'package.json']),
    );
    expect(readdirSync(path.join(runtime.dir, 'subgraphs', 'users'))).not.toContain('src');
    const size = execFileSync('du', ['-sm', runtime.dir], { encoding: 'utf8' }).split('\t')[0];
    console.info(
      `runtime stage: ${installed.size} npm packages (distinct names), ${size} MB; steps:\n  ${steps.join('\n  ')}`,
    );

    // Production settings a deployment gives: its own keys and internal token (never generated in production).
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const services = ['users', 'products', 'orders', 'faq', 'router', 'storefront'] as const;
    const ports = Object.fromEntries(
      await Promise.all(services.map(async (name) => [name, await freePort()])),
    ) as Record<(typeof services)[number], number>;
    const subgraphs = ['users', 'products', 'orders', 'faq'] as const;
    const env = {
      ...runtime.env,
      HOST: '127.0.0.1',
      JWT_PUBLIC_KEY: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      JWT_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      INTERNAL_API_TOKEN: randomBytes(32).toString('base64url'),
      ROUTER_PORT: String(ports.router),
      ROUTER_METRICS_PORT: '0',
      ...Object.fromEntries(
        subgraphs.flatMap((name) => [
          [`${name.toUpperCase()}_PORT`, String(ports[name])],
          [`${name.toUpperCase()}_URL`, `http://127.0.0.1:${ports[name]}/graphql`],
        ]),
      ),
      STOREFRONT_PORT: String(ports.storefront),
      ROUTER_URL: `http://127.0.0.1:${ports.router}/graphql`,
      LOG_LEVEL: 'warn',
    };
    const node = { uid: 1000, gid: 1000 }; // the base image's `node` user
    for (const service of services) {
      const child = spawn(runtime.command?.[0] ?? 'sh', runtime.command?.slice(1) ?? [], {
        cwd: runtime.dir,
        env: { ...env, PATH: process.env.PATH ?? '', SERVICE: service },
        stdio: ['ignore', 'pipe', 'pipe'],
        ...(process.getuid?.() === 0 ? node : {}),
      });
      started.push(child);
      let output = '';
      child.stdout?.on('data', (chunk) => {
        output += chunk;
      });
      child.stderr?.on('data', (chunk) => {
        output += chunk;
      });
      const healthy = await until(
        async () => (await fetch(`http://127.0.0.1:${ports[service]}/health`).catch(() => null))?.ok === true,
        60_000,
      ).catch(() => false);
      expect(healthy, `${service} answers /health (its output: ${output.slice(-2000)})`).not.toBe(false);
      const check = spawnSync(runtime.healthcheck?.[0] ?? 'node', runtime.healthcheck?.slice(1) ?? [], {
        cwd: runtime.dir,
        env: { ...env, PATH: process.env.PATH ?? '', SERVICE: service },
      });
      expect(check.status, `the image's HEALTHCHECK for ${service}`).toBe(0);
    }
    // Every subgraph answers the router.
    const health = await fetch(`http://127.0.0.1:${ports.router}/health/subgraphs`);
    expect(await health.json()).toMatchObject({
      status: 'ready',
      subgraphs: Object.fromEntries(subgraphs.map((name) => [name, 'ready'])),
    });
    // The storefront serves its built app and reaches the router with a listed operation's hash.
    const app = await fetch(`http://127.0.0.1:${ports.storefront}/checkout`);
    expect(await app.text()).toContain('<div id="root"></div>');
    const manifest = JSON.parse(readFileSync(path.join(runtime.dir, 'operations', 'manifest.json'), 'utf8'));
    const [me] =
      Object.entries(manifest as Record<string, string>).find(([, text]) => text.startsWith('query Me ')) ?? [];
    const signedOut = await fetch(`http://127.0.0.1:${ports.storefront}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: me } } }),
    });
    expect(await signedOut.json()).toEqual({ data: { me: null } });
    for (const child of started) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  }, 900_000);
});
