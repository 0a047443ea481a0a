import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { composeSupergraph } from '../../scripts/compose.js';
import { REPOSITORY_ROOT } from '../../scripts/subgraphs.js';

const fixtures = mkdtempSync(path.join(tmpdir(), 'shop-compose-'));
afterAll(() => rmSync(fixtures, { recursive: true, force: true }));

function fixture(subgraphs: Record<string, string>): string {
  const config = ['subgraphs:'];
  for (const [name, sdl] of Object.entries(subgraphs)) {
    writeFileSync(path.join(fixtures, `${name}.graphql`), sdl);
    config.push(
      `  ${name}:`,
      `    routing_url: http://127.0.0.1:1/${name}`,
      '    schema:',
      `      file: ./${name}.graphql`,
    );
  }
  const file = path.join(fixtures, 'supergraph.yaml');
  writeFileSync(file, `${config.join('\n')}\n`);
  return file;
}

const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])\n';

describe('composition', () => {
  it('composes the four subgraphs into exactly the committed supergraph.graphql', () => {
    const result = composeSupergraph();
    expect(result).toHaveProperty('sdl');
    const committed = readFileSync(path.join(REPOSITORY_ROOT, 'supergraph.graphql'), 'utf8');
    expect((result as { sdl: string }).sdl).toBe(committed);
  });

  it('reports a conflicting field type with its code and each subgraph file and line', () => {
    const result = composeSupergraph(
      fixture({
        a: `${LINK}type Query { money: Money }\n\ntype Money @shareable {\n  amount: Int!\n}\n`,
        b: `${LINK}type Query { price: Money }\n\ntype Money @shareable {\n  amount: String!\n}\n`,
      }),
    );
    expect(result).toHaveProperty('errors');
    const [error] = (result as { errors: string[] }).errors;
    expect(error).toMatch(/^FIELD_TYPE_MISMATCH: /);
    expect(error).toContain('Money.amount');
    expect(error).toContain(`${path.relative(REPOSITORY_ROOT, path.join(fixtures, 'a.graphql'))}:5`);
    expect(error).toContain(`${path.relative(REPOSITORY_ROOT, path.join(fixtures, 'b.graphql'))}:5`);
  });
});
