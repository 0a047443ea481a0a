import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  apiSchemaSdl,
  checkBreakingChanges,
  checkComposition,
  checkGeneratedCode,
  checkOperations,
} from '../../scripts/schema-check.js';
import { REPOSITORY_ROOT } from '../../scripts/subgraphs.js';

/** Each check is shown catching what it should, on a fixture change to the real schemas. */
const scratch = mkdtempSync(path.join(tmpdir(), 'shop-schema-checks-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const read = (file: string) => readFileSync(path.join(REPOSITORY_ROOT, file), 'utf8');
const currentApi = apiSchemaSdl(read('supergraph.graphql'));
const edited = (from: string, to: string) => {
  expect(currentApi).toContain(from);
  return currentApi.replace(from, to);
};
const breakingCheck = (baseline: string, current: string, snapshot: string | null = baseline) =>
  checkBreakingChanges({ baseline, baselineSource: 'fixture', current, snapshot });

describe('composition and drift', () => {
  it('passes on the repository', () => {
    const { check } = checkComposition();
    expect(check.failures).toEqual([]);
  });

  it('fails on a conflicting field type across subgraphs, naming the code, type and files', () => {
    const link = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@shareable"])\n';
    writeFileSync(
      path.join(scratch, 'a.graphql'),
      `${link}type Query { a: Money }\ntype Money @shareable { amount: Int! }\n`,
    );
    writeFileSync(
      path.join(scratch, 'b.graphql'),
      `${link}type Query { b: Money }\ntype Money @shareable { amount: Float! }\n`,
    );
    const config = path.join(scratch, 'conflict.yaml');
    writeFileSync(
      config,
      'subgraphs:\n  a:\n    routing_url: http://a\n    schema: { file: ./a.graphql }\n  b:\n    routing_url: http://b\n    schema: { file: ./b.graphql }\n',
    );
    const { check } = checkComposition(config);
    expect(check.failures.join('\n')).toMatch(/FIELD_TYPE_MISMATCH: .*Money\.amount/);
    expect(check.failures.join('\n')).toContain('a.graphql:3');
  });

  it('fails when the committed supergraph.graphql is stale, and says how to fix it', () => {
    const stale = path.join(scratch, 'stale-supergraph.graphql');
    writeFileSync(stale, read('supergraph.graphql').replace('description: String!', ''));
    const { check } = checkComposition(undefined, stale);
    expect(check.failures).toEqual([expect.stringContaining('differs from a fresh composition')]);
    expect(check.failures[0]).toContain('npm run compose');
  });
});

describe('breaking changes in the API schema', () => {
  it('fails on a removed field', async () => {
    const check = await breakingCheck(currentApi, edited('  description: String!\n  price: Money!', '  price: Money!'));
    expect(check.failures[0]).toMatch(/breaking: Field 'description' .*removed from object type 'Product'/);
    expect(check.failures.at(-1)).toContain('npm run schema:snapshot');
  });

  it('fails on a removed enum value', async () => {
    const check = await breakingCheck(currentApi, edited('  PRICE_DESC\n', ''));
    expect(check.failures[0]).toMatch(/breaking: Enum value 'PRICE_DESC' .*removed from enum 'ProductOrderBy'/);
  });

  it('fails on an argument made required, and on a required argument added', async () => {
    const required = await breakingCheck(currentApi, edited('faqs(search: String,', 'faqs(search: String!,'));
    expect(required.failures[0]).toMatch(/breaking: .*'search'.*'String' to 'String!'/);
    const added = await breakingCheck(
      currentApi,
      edited('user(id: ID!): User', 'user(id: ID!, reason: String!): User'),
    );
    expect(added.failures[0]).toMatch(/breaking: Argument 'reason: String!' added to field 'Query.user'/);
  });

  it('fails on tightened nullability of an input', async () => {
    const check = await breakingCheck(
      currentApi,
      edited('  productId: ID\n}\n\ninput CreateProductInput', '  productId: ID!\n}\n\ninput CreateProductInput'),
    );
    expect(check.failures[0]).toMatch(/breaking: .*productId.*ID.*ID!/);
  });

  it('passes a backwards-compatible addition', async () => {
    const check = await breakingCheck(
      currentApi,
      edited('  stock: Int!\n  category: Category', '  stock: Int!\n  weightGrams: Int\n  category: Category'),
    );
    expect(check.failures).toEqual([]);
    expect(check.notes[0]).toContain('0 breaking, 0 dangerous, 1 safe');
  });

  it('accepts an intentional break only when the snapshot was updated with it', async () => {
    const broken = edited('  PRICE_DESC\n', '');
    expect((await breakingCheck(currentApi, broken, currentApi)).failures).not.toEqual([]);
    const accepted = await breakingCheck(currentApi, broken, broken);
    expect(accepted.failures).toEqual([]);
    expect(accepted.warnings[0]).toMatch(/^accepted breaking change/);
  });
});

describe('client operations', () => {
  it('validates every operation in operations/ against the API schema', () => {
    const check = checkOperations(currentApi);
    expect(check.failures).toEqual([]);
    expect(check.notes[0]).toMatch(/^\d+ operation file\(s\) checked$/);
  });

  it('fails on an operation that uses a removed field, with the file and line', () => {
    const check = checkOperations(edited('  description: String!\n  price: Money!', '  price: Money!'));
    expect(check.failures).toEqual([
      expect.stringMatching(
        /^operations\/storefront\/product-page\.graphql:9:5: Cannot query field "description" on type "Product"/,
      ),
    ]);
  });

  it('warns about deprecated fields', () => {
    const check = checkOperations(
      edited(
        '  stock: Int!\n  category: Category',
        '  stock: Int! @deprecated(reason: "use availability")\n  category: Category',
      ),
    );
    expect(check.failures).toEqual([]);
    expect(check.warnings.join('\n')).toContain('Product.stock is deprecated');
  });
});

describe('generated code', () => {
  it('passes when every generated file matches its schema', async () => {
    expect((await checkGeneratedCode()).failures).toEqual([]);
  });

  it('fails when a schema changed without regenerating', async () => {
    const faqSchema = read('subgraphs/faq/schema.graphql').replace(
      '  topic: String!\n',
      '  topic: String!\n  votes: Int!\n',
    );
    const check = await checkGeneratedCode({ faq: faqSchema });
    expect(check.failures).toEqual([expect.stringContaining('subgraphs/faq/src/schema.generated.ts is stale')]);
    expect(check.failures[0]).toContain('npm run codegen');
  });
});

describe('Prisma drift (npm run db:check)', () => {
  it('passes on the repository and fails when a field is added to schema.prisma without a migration', async () => {
    const { diffMigrationsToSchema } = await import('../../scripts/schema-engine.js');
    const migrations = path.join(REPOSITORY_ROOT, 'prisma/users/migrations');
    const schema = path.join(REPOSITORY_ROOT, 'prisma/users/schema.prisma');
    expect((await diffMigrationsToSchema(schema, migrations, 'summary')).changed).toBe(false);

    const edited = path.join(scratch, 'schema.prisma');
    writeFileSync(
      edited,
      read('prisma/users/schema.prisma').replace(
        '  name         String\n',
        '  name         String\n  nickname     String?\n',
      ),
    );
    const drift = await diffMigrationsToSchema(edited, migrations, 'summary');
    expect(drift.changed).toBe(true);
    expect(drift.text).toContain('Added column `nickname`');
  });
});
