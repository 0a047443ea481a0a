/**
 * `npm run build`: each service (the router and every subgraph) compiled to one JavaScript file,
 * `<service>/dist/main.js`, which plain `node` runs without tsx (production, the benchmark). esbuild bundles the
 * service's own code and the workspace packages it uses (@shop/*, TypeScript sources); every npm dependency stays
 * an import from node_modules. Paths the code finds with `import.meta.url` (schema, migrations, supergraph)
 * keep working because `dist/` sits where `src/` does.
 */
import path from 'node:path';
import { build, type Plugin } from 'esbuild';
import { loadSubgraphs, REPOSITORY_ROOT } from './subgraphs.js';

/** Bare imports stay external, except the workspace's own packages, which are TypeScript and get bundled. */
const npmDependenciesExternal: Plugin = {
  name: 'npm-dependencies-external',
  setup(builder) {
    builder.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith('@shop/') ? undefined : { path: args.path, external: true },
    );
  },
};

export async function buildServices(root = REPOSITORY_ROOT): Promise<string[]> {
  const services = ['router', ...(await loadSubgraphs(root)).map((manifest) => path.join('subgraphs', manifest.name))];
  await Promise.all(
    services.map((service) =>
      build({
        absWorkingDir: root,
        entryPoints: [path.join(service, 'src', 'main.ts')],
        outfile: path.join(service, 'dist', 'main.js'),
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
  return services;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const started = performance.now();
  const services = await buildServices();
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`Built ${services.map((service) => `${service}/dist/main.js`).join(', ')} in ${seconds} s.`);
}
