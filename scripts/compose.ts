/**
 * Composes supergraph.yaml (rover's format) into supergraph.graphql with @apollo/composition, offline.
 *   npm run compose            write supergraph.graphql
 *   npm run compose -- --check fail when the committed supergraph.graphql differs from a fresh composition
 * Composition errors print with their code and the subgraph file and line, and exit 1.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import {
  printSchema as printApiSchema,
  ROUTER_SUPPORTED_SUPERGRAPH_FEATURES,
  Supergraph,
} from '@apollo/federation-internals';
import { type GraphQLError, parse, Source } from 'graphql';
import { parse as parseYaml } from 'yaml';

const root = path.resolve(import.meta.dirname, '..');

/** The schema clients see: the supergraph without federation machinery and @inaccessible parts. */
export function apiSchemaSdl(supergraphSdl: string): string {
  return `${printApiSchema(Supergraph.build(supergraphSdl, { supportedFeatures: ROUTER_SUPPORTED_SUPERGRAPH_FEATURES }).apiSchema()).trimEnd()}\n`;
}
const outputFile = path.join(root, 'supergraph.graphql');

interface SupergraphConfig {
  subgraphs: Record<string, { routing_url: string; schema: { file: string } }>;
}

function located(error: GraphQLError): string {
  const where = (error.nodes ?? [])
    .map(
      (node) =>
        node.loc &&
        `${path.relative(root, node.loc.source.name)}:${node.loc.source.locationOffset.line + lineOf(node.loc.source.body, node.loc.start) - 1}`,
    )
    .filter(Boolean);
  return `${String(error.extensions.code ?? 'ERROR')}: ${error.message}${where.length ? `\n    at ${where.join('\n    at ')}` : ''}`;
}

const lineOf = (text: string, offset: number) => text.slice(0, offset).split('\n').length;

/** Composes a rover-format config; schema files are relative to the config's folder. */
export function composeSupergraph(
  configFile = path.join(root, 'supergraph.yaml'),
): { sdl: string; hints: string[] } | { errors: string[] } {
  const config = parseYaml(readFileSync(configFile, 'utf8')) as SupergraphConfig;
  const services = Object.entries(config.subgraphs).map(([name, subgraph]) => {
    const file = path.resolve(path.dirname(configFile), subgraph.schema.file);
    return { name, url: subgraph.routing_url, typeDefs: parse(new Source(readFileSync(file, 'utf8'), file)) };
  });
  const result = composeServices(services);
  if (result.errors) return { errors: result.errors.map(located) };
  const hints = (result.hints ?? []).map((hint) => `hint ${hint.definition.code}: ${hint.message}`);
  return { sdl: `${result.supergraphSdl.trimEnd()}\n`, hints };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = composeSupergraph();
  if ('errors' in result) {
    console.error(
      `Composition failed with ${result.errors.length} error(s):\n${result.errors.map((e) => `  ${e}`).join('\n')}`,
    );
    process.exit(1);
  }
  for (const hint of result.hints) console.warn(hint);
  if (process.argv.includes('--check')) {
    const committed = existsSync(outputFile) ? readFileSync(outputFile, 'utf8') : '';
    if (committed !== result.sdl) {
      console.error(
        'supergraph.graphql is out of date with the subgraph schemas; run `npm run compose` and commit it.',
      );
      process.exit(1);
    }
    console.log('supergraph.graphql is up to date.');
  } else {
    writeFileSync(outputFile, result.sdl);
    // Kustomize reads only files under its folder: the router's ConfigMap is made from this copy.
    const k8sCopy = path.join(root, 'deploy', 'k8s', 'base', 'supergraph.graphql');
    if (existsSync(path.dirname(k8sCopy))) writeFileSync(k8sCopy, result.sdl);
    console.log(`Composed ${path.relative(root, outputFile)} (and its copy for Kubernetes).`);
  }
}
