/**
 * `npm run build`: each service (the router, every subgraph and the storefront's server) compiled to one JavaScript
 * file, `<service>/dist/main.js`, which plain `node` runs without tsx (production, the benchmark). esbuild bundles the
 * service's own code and the workspace packages it uses (@shop/*, TypeScript sources); every npm dependency stays
 * an import from node_modules. Paths the code finds with `import.meta.url` (schema, migrations, supergraph)
 * keep working because `dist/` sits where `src/` does. The storefront app itself is built by Vite.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { brotliCompressSync, gzipSync, constants as zlibConstants } from 'node:zlib';
import { build, type Plugin } from 'esbuild';
import { REPOSITORY_ROOT, subgraphNames } from './subgraphs.js';

/** Bare imports stay external, except the workspace's own packages, which are TypeScript and get bundled. */
const npmDependenciesExternal: Plugin = {
  name: 'npm-dependencies-external',
  setup(builder) {
    builder.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith('@shop/') ? undefined : { path: args.path, external: true },
    );
  },
};

/** Each service's entry point and where its compiled file goes. */
async function serviceEntries(root: string) {
  const services = ['router', ...subgraphNames(root).map((name) => path.join('subgraphs', name))];
  return [
    ...services.map((service) => ({
      entry: path.join(service, 'src', 'main.ts'),
      outfile: path.join(service, 'dist', 'main.js'),
    })),
    // The storefront's server (when the checkout has one: the benchmark builds older ones); the app it serves is
    // built by Vite (buildStorefront).
    { entry: path.join('storefront', 'server', 'main.ts'), outfile: path.join('storefront', 'dist', 'main.js') },
    // `npm start`'s one development process, which runs the mains above.
    { entry: path.join('scripts', 'one-process.ts'), outfile: path.join('scripts', 'dist', 'one-process.js') },
  ].filter(({ entry }) => existsSync(path.join(root, entry)));
}

export async function buildServices(root = REPOSITORY_ROOT): Promise<string[]> {
  const entries = await serviceEntries(root);
  await Promise.all(
    entries.map(({ entry, outfile }) =>
      build({
        absWorkingDir: root,
        entryPoints: [entry],
        outfile,
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        sourcemap: true,
        logLevel: 'warning',
        plugins: [npmDependenciesExternal],
      }),
    ),
  );
  return entries.map(({ outfile }) => outfile);
}

/**
 * The storefront app, built by Vite into storefront/dist/public (its server serves that folder), each text file
 * also compressed ahead of time (.br, .gz), which the server sends to browsers that accept it.
 */
export async function buildStorefront(root = REPOSITORY_ROOT): Promise<string> {
  // In a process of its own with NODE_ENV=production: Vite and the React plugin take the mode from NODE_ENV, and a
  // caller's (tests run with NODE_ENV=test) would give React's development build.
  const vite = path.join(path.dirname(createRequire(import.meta.url).resolve('vite/package.json')), 'bin', 'vite.js');
  const configFile = path.join(root, 'storefront', 'vite.config.ts');
  await promisify(execFile)(process.execPath, [vite, 'build', '--config', configFile, '--logLevel', 'warn'], {
    env: { ...process.env, NODE_ENV: 'production' },
  });
  const publicDir = path.join(root, 'storefront', 'dist', 'public');
  const texts = readdirSync(publicDir, { recursive: true, encoding: 'utf8' }).filter((file) =>
    /\.(js|css|html)$/.test(file),
  );
  for (const file of texts) {
    const content = readFileSync(path.join(publicDir, file));
    writeFileSync(path.join(publicDir, `${file}.gz`), gzipSync(content, { level: 9 }));
    writeFileSync(
      path.join(publicDir, `${file}.br`),
      brotliCompressSync(content, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 11 } }),
    );
  }
  return path.relative(root, publicDir);
}

/** The newest modification time of the files under `paths` (node_modules and build output left out), in ms. */
function newestChange(root: string, paths: string[]): number {
  let newest = 0;
  const visit = (file: string) => {
    const stat = statSync(file, { throwIfNoEntry: false });
    if (!stat) return;
    if (!stat.isDirectory()) {
      newest = Math.max(newest, stat.mtimeMs);
      return;
    }
    for (const entry of readdirSync(file))
      if (entry !== 'node_modules' && entry !== 'dist') visit(path.join(file, entry));
  };
  for (const relative of paths) visit(path.join(root, relative));
  return newest;
}

/** Whether every output exists and is newer than every input. */
const upToDate = (root: string, outputs: string[], inputs: string[]) =>
  outputs.every((output) => existsSync(path.join(root, output))) &&
  Math.min(...outputs.map((output) => statSync(path.join(root, output)).mtimeMs)) > newestChange(root, inputs);

/**
 * `npm start`'s build: the services and the app, each only when a source changed since it was last built (a
 * second start skips ~2 s of compiling). `npm run build` and the benchmark always build.
 */
export async function buildChanged(root = REPOSITORY_ROOT): Promise<void> {
  const outputs = (await serviceEntries(root)).map(({ outfile }) => outfile);
  const sources = [
    'router',
    'subgraphs',
    'packages',
    'storefront/server',
    'scripts/one-process.ts',
    'package-lock.json',
  ];
  const app = [
    'storefront/src',
    'storefront/index.html',
    'storefront/vite.config.ts',
    'operations',
    'package-lock.json',
  ];
  await Promise.all([
    upToDate(root, outputs, sources) ? null : buildServices(root),
    upToDate(root, ['storefront/dist/public/index.html'], app) ? null : buildStorefront(root),
  ]);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const started = performance.now();
  const [files, app] = await Promise.all([buildServices(), buildStorefront()]);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`Built ${files.join(', ')} and ${app}/ in ${seconds} s.`);
}
