/**
 * Every subgraph of the house, discovered: each folder under subgraphs/ with a `src/subgraph.ts` manifest.
 * Scripts, tests and the benchmark list subgraphs through here, never by name: adding a subgraph is adding
 * its folder (and its prisma/<name>/ folder and supergraph.yaml entry).
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AnySubgraphManifest } from '@shop/subgraph-runtime';

export const REPOSITORY_ROOT = path.resolve(import.meta.dirname, '..');

/** The subgraphs' names, from the folders alone (before any Prisma client is generated). */
export function subgraphNames(root = REPOSITORY_ROOT): string[] {
  const dir = path.join(root, 'subgraphs');
  return readdirSync(dir)
    .filter((name) => existsSync(path.join(dir, name, 'src', 'subgraph.ts')))
    .sort();
}

/** The subgraphs' manifests (this imports each subgraph, so its Prisma client must be generated). */
export async function loadSubgraphs(root = REPOSITORY_ROOT): Promise<AnySubgraphManifest[]> {
  return Promise.all(
    subgraphNames(root).map(
      async (name) =>
        (await import(pathToFileURL(path.join(root, 'subgraphs', name, 'src', 'subgraph.ts')).href))
          .default as AnySubgraphManifest,
    ),
  );
}
