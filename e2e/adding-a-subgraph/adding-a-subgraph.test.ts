import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { composeSupergraph } from '../../scripts/compose.js';
import { REPOSITORY_ROOT, subgraphNames } from '../../scripts/subgraphs.js';
import { type Supergraph, startSupergraph } from '../harness/supergraph.js';

/**
 * Adding a subgraph is adding its folder (and its supergraph.yaml entry): in a copy of the repository with a
 * fifth subgraph, `ratings`, nothing else is edited, and it is discovered, composed, started and routed.
 * To stay small, the fixture borrows the FAQ service's Prisma schema and migrations for its own database.
 */
const MANIFEST = `import { z } from '@shop/platform';
import { defineSubgraph, type RequestBase } from '@shop/subgraph-runtime';
import { PrismaClient } from '../../faq/src/generated/prisma/client.js';
import { seedQuestions } from '../../faq/src/seed.js';

type RatingsContext = RequestBase & { prisma: PrismaClient };

export default defineSubgraph({
  name: 'ratings',
  port: 4005,
  schemaFile: new URL('../schema.graphql', import.meta.url),
  migrationsDir: new URL('../../../prisma/faq/migrations/', import.meta.url),
  settings: z.object({}),
  createClient: (adapter) => new PrismaClient({ adapter }),
  seed: seedQuestions,
  codegen: { context: 'RatingsContext', mappers: {} },
  resolvers: {
    Query: { ratingsAnswer: () => true },
    Product: {
      __resolveReference: (product: { id: string }) => product,
      questionCount: (product: { id: string }, _: unknown, { prisma }: RatingsContext) =>
        prisma.faq.count({ where: { productId: product.id } }),
    },
  },
  start: ({ prisma }) => ({ context: (base): RatingsContext => ({ ...base, prisma }) }),
});
`;
const SCHEMA = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])

type Query {
  ratingsAnswer: Boolean!
}

type Product @key(fields: "id") {
  id: ID!
  "How many questions this subgraph's database holds about the product."
  questionCount: Int!
}
`;

let copy: string;
let supergraph: Supergraph | undefined;

beforeAll(() => {
  // A copy of the repository: the real subgraphs, prisma/ and node_modules linked in, the new subgraph's folder written.
  copy = mkdtempSync(path.join(tmpdir(), 'shop-fifth-subgraph-'));
  mkdirSync(path.join(copy, 'subgraphs', 'ratings', 'src'), { recursive: true });
  for (const name of subgraphNames()) {
    symlinkSync(path.join(REPOSITORY_ROOT, 'subgraphs', name), path.join(copy, 'subgraphs', name), 'dir');
  }
  for (const shared of ['node_modules', 'prisma', 'tsconfig.base.json']) {
    symlinkSync(path.join(REPOSITORY_ROOT, shared), path.join(copy, shared));
  }
  writeFileSync(path.join(copy, 'subgraphs', 'ratings', 'src', 'subgraph.ts'), MANIFEST);
  writeFileSync(path.join(copy, 'subgraphs', 'ratings', 'schema.graphql'), SCHEMA);
  const subgraphs = Object.fromEntries(
    subgraphNames(copy).map((name, index) => [
      name,
      {
        routing_url: `http://127.0.0.1:${4101 + index}/graphql`,
        schema: { file: `./subgraphs/${name}/schema.graphql` },
      },
    ]),
  );
  writeFileSync(path.join(copy, 'supergraph.yaml'), stringify({ federation_version: '=2.14.4', subgraphs }));
});
afterAll(async () => {
  await supergraph?.close();
  rmSync(copy, { recursive: true, force: true });
});

describe('adding a fifth subgraph', () => {
  it('is discovered by its folder, composed from supergraph.yaml, started and routed to', async () => {
    expect(subgraphNames(copy)).toEqual([...subgraphNames(), 'ratings'].sort());
    const composed = composeSupergraph(path.join(copy, 'supergraph.yaml'));
    if ('errors' in composed) throw new Error(composed.errors.join('\n'));
    expect(composed.sdl).toContain('RATINGS');

    supergraph = await startSupergraph({ root: copy, supergraphSdl: composed.sdl });
    expect(Object.keys(supergraph.subgraphUrls).sort()).toEqual(subgraphNames(copy));
    const response = await supergraph.request<{ product: { name: string; questionCount: number; faqs: unknown[] } }>(
      '{ product(sku: "KB-ALU-75") { name questionCount faqs { question } } }',
    );
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data?.product).toMatchObject({ name: 'Aluminium 75% Keyboard', questionCount: 2 });
    expect(supergraph.subgraphRequests.ratings).toBeGreaterThan(0);
    const health = await fetch(new URL('/health/subgraphs', supergraph.routerUrl));
    expect(((await health.json()) as { subgraphs: Record<string, string> }).subgraphs.ratings).toBe('ready');
  });
});
