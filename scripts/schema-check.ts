/**
 * Schema checks, offline, as GraphOS or Hive would run them (README: "Schema checks in CI").
 *   npm run schema:check      all of the below, one report; exits 1 when any check fails
 *   npm run schema:compose    composition (errors fail, hints warn) and supergraph.graphql drift
 *   npm run schema:diff       the client-facing API schema against the baseline: breaking changes fail
 *   npm run schema:ops        operations/**\/*.graphql validated against the API schema
 *   npm run codegen:check     generated resolver types are current     (and npm run db:check for Prisma)
 *   npm run schema:snapshot   write schema/api.graphql: accepts the current API schema as the new baseline
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type Change, CriticalityLevel, diff } from '@graphql-inspector/core';
import {
  buildSchema,
  type GraphQLSchema,
  NoDeprecatedCustomRule,
  parse,
  Source,
  specifiedRules,
  validate,
} from 'graphql';
import { generateClientOperations } from './client-operations.js';
import { generatedFile, generateResolverTypes } from './codegen.js';
import { apiSchemaSdl, composeSupergraph } from './compose.js';
import { errorCodeTable, README, undeclaredErrorCodes, withErrorTable } from './error-codes.js';
import { loadSubgraphs } from './subgraphs.js';

const root = path.resolve(import.meta.dirname, '..');
const SNAPSHOT = 'schema/api.graphql';

export interface CheckResult {
  name: string;
  failures: string[];
  warnings: string[];
  notes: string[];
}

const result = (name: string): CheckResult => ({ name, failures: [], warnings: [], notes: [] });

export { apiSchemaSdl };

export function checkComposition(configFile?: string, committedFile = path.join(root, 'supergraph.graphql')) {
  const check = result('composition');
  const composed = composeSupergraph(configFile);
  if ('errors' in composed) {
    check.failures.push(...composed.errors);
    return { check, sdl: null };
  }
  check.warnings.push(...composed.hints);
  const committed = existsSync(committedFile) ? readFileSync(committedFile, 'utf8') : '';
  if (committed !== composed.sdl) {
    check.failures.push(
      `${path.relative(root, committedFile)} differs from a fresh composition of the subgraph schemas; run \`npm run compose\` and commit it`,
    );
  } else {
    check.notes.push('composed; supergraph.graphql is up to date');
  }
  return { check, sdl: composed.sdl };
}

const describeChange = (change: Change) => `${change.message}${change.path ? ` (${change.path})` : ''}`;

/**
 * Breaking changes from the baseline to the current API schema fail, unless the change also updated the
 * snapshot to the current API schema: that is how an intentional break is accepted.
 */
export async function checkBreakingChanges(options: {
  baseline: string;
  baselineSource: string;
  current: string;
  snapshot: string | null;
}) {
  const check = result('breaking changes');
  const changes = await diff(buildSchema(options.baseline), buildSchema(options.current));
  const breaking = changes.filter((change) => change.criticality.level === CriticalityLevel.Breaking);
  const dangerous = changes.filter((change) => change.criticality.level === CriticalityLevel.Dangerous);
  const safe = changes.filter((change) => change.criticality.level === CriticalityLevel.NonBreaking);
  const accepted = options.snapshot === options.current && options.baseline !== options.current;
  for (const change of breaking) {
    if (accepted)
      check.warnings.push(`accepted breaking change (snapshot updated in this change): ${describeChange(change)}`);
    else check.failures.push(`breaking: ${describeChange(change)}`);
  }
  if (breaking.length > 0 && !accepted) {
    check.failures.push(
      `to make this break on purpose, run \`npm run schema:snapshot\` and commit ${SNAPSHOT} with the change (and tell your clients)`,
    );
  }
  for (const change of dangerous) check.warnings.push(`dangerous: ${describeChange(change)}`);
  check.notes.push(
    `against ${options.baselineSource}: ${breaking.length} breaking, ${dangerous.length} dangerous, ${safe.length} safe`,
  );
  if (
    options.snapshot !== null &&
    options.snapshot !== options.current &&
    breaking.length === 0 &&
    changes.length > 0
  ) {
    check.warnings.push(
      `${SNAPSHOT} is behind the API schema; run \`npm run schema:snapshot\` to record these additions`,
    );
  }
  return check;
}

/** What the router serves beyond the composed API schema: incremental delivery (README: "@defer"). */
const ROUTER_DIRECTIVES = 'directive @defer(label: String, if: Boolean! = true) on FRAGMENT_SPREAD | INLINE_FRAGMENT';

/** Every operation in the folder, validated against the API schema; deprecated fields are warnings. */
export function checkOperations(apiSdl: string, operationsDir = path.join(root, 'operations')) {
  const check = result('client operations');
  const schema: GraphQLSchema = buildSchema(`${apiSdl}\n${ROUTER_DIRECTIVES}`);
  const files = graphqlFiles(operationsDir);
  for (const file of files) {
    const name = path.relative(root, file);
    let document: ReturnType<typeof parse>;
    try {
      document = parse(new Source(readFileSync(file, 'utf8'), name));
    } catch (error) {
      check.failures.push(`${name}: ${(error as Error).message}`);
      continue;
    }
    const at = (error: { locations?: readonly { line: number; column: number }[] }) =>
      error.locations?.[0] ? `${name}:${error.locations[0].line}:${error.locations[0].column}` : name;
    for (const error of validate(schema, document, specifiedRules))
      check.failures.push(`${at(error)}: ${error.message}`);
    for (const error of validate(schema, document, [NoDeprecatedCustomRule]))
      check.warnings.push(`${at(error)}: ${error.message}`);
  }
  check.notes.push(`${files.length} operation file(s) checked`);
  return check;
}

function graphqlFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.graphql'))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
}

/** `schemas` replaces a subgraph's schema.graphql text (tests use it to simulate an edit). */
export async function checkGeneratedCode(schemas: Record<string, string> = {}) {
  const check = result('generated code');
  for (const manifest of await loadSubgraphs()) {
    const file = generatedFile(manifest.name);
    const committed = existsSync(file) ? readFileSync(file, 'utf8') : '';
    if (committed !== (await generateResolverTypes(manifest, schemas[manifest.name]))) {
      check.failures.push(
        `${path.relative(root, file)} is stale for schema.graphql; run \`npm run codegen\` and commit it`,
      );
    }
  }
  // Skipped while the operations are invalid: checkOperations reports why, with locations.
  const clientOperations = await generateClientOperations().catch(() => []);
  for (const { file, content } of clientOperations) {
    if ((existsSync(file) ? readFileSync(file, 'utf8') : '') !== content) {
      check.failures.push(
        `${path.relative(root, file)} is stale for operations/; run \`npm run codegen\` and commit it`,
      );
    }
  }
  const readme = readFileSync(README, 'utf8');
  if (withErrorTable(readme, await errorCodeTable()) !== readme) {
    check.failures.push('README.md: the error table differs from the declared error codes; run `npm run codegen`');
  }
  for (const { code, file } of await undeclaredErrorCodes()) {
    check.failures.push(`${file} raises ${code}, which no service declares (platform, router, or a subgraph manifest)`);
  }
  if (check.failures.length === 0) {
    check.notes.push(
      "resolver types match every subgraph schema; the storefront's typed operations and the safelist match operations/; every error code is declared and in the README",
    );
  }
  return check;
}

/** The baseline API schema: the snapshot as committed on the main branch, else the working snapshot. */
function baseline(): { sdl: string; source: string } | null {
  const ref =
    process.env.SCHEMA_BASE_REF ?? ['origin/main', 'main'].find((candidate) => gitShow(candidate, SNAPSHOT) !== null);
  const fromGit = ref ? gitShow(ref, SNAPSHOT) : null;
  if (ref && fromGit !== null) return { sdl: fromGit, source: `${SNAPSHOT} on ${ref}` };
  const file = path.join(root, SNAPSHOT);
  return existsSync(file) ? { sdl: readFileSync(file, 'utf8'), source: `${SNAPSHOT} (working tree)` } : null;
}

function gitShow(ref: string, file: string): string | null {
  try {
    return execFileSync('git', ['show', `${ref}:${file}`], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch {
    return null;
  }
}

function dbCheck(): CheckResult {
  const check = result('Prisma migrations');
  try {
    execFileSync('npm', ['run', '--silent', 'db:check'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    check.notes.push('migrations match every schema.prisma');
  } catch (error) {
    check.failures.push(((error as { stderr?: string }).stderr ?? String(error)).trim());
  }
  return check;
}

function report(checks: CheckResult[]): boolean {
  for (const check of checks) {
    const mark = check.failures.length > 0 ? '✘' : check.warnings.length > 0 ? '⚠' : '✔';
    console.log(`${mark} ${check.name}${check.notes.length ? `: ${check.notes.join('; ')}` : ''}`);
    for (const failure of check.failures) console.log(`    ✘ ${failure.replace(/\n/g, '\n      ')}`);
    for (const warning of check.warnings) console.log(`    ⚠ ${warning.replace(/\n/g, '\n      ')}`);
  }
  const failed = checks.filter((check) => check.failures.length > 0).length;
  console.log(failed === 0 ? '\nSchema checks passed.' : `\nSchema checks failed: ${failed} of ${checks.length}.`);
  return failed === 0;
}

async function main(command: string): Promise<boolean> {
  const checks: CheckResult[] = [];
  const { check: composition, sdl } = checkComposition();
  if (['all', 'compose'].includes(command)) checks.push(composition);
  if (command === 'snapshot') {
    if (!sdl) return report([composition]);
    writeFileSync(path.join(root, SNAPSHOT), apiSchemaSdl(sdl));
    console.log(`Wrote ${SNAPSHOT}: commit it with the schema change.`);
    return true;
  }
  if (['all', 'diff', 'ops'].includes(command) && !sdl) checks.push(composition);
  if (sdl && ['all', 'diff'].includes(command)) {
    const current = apiSchemaSdl(sdl);
    const base = baseline();
    const snapshotFile = path.join(root, SNAPSHOT);
    const snapshot = existsSync(snapshotFile) ? readFileSync(snapshotFile, 'utf8') : null;
    if (base)
      checks.push(await checkBreakingChanges({ baseline: base.sdl, baselineSource: base.source, current, snapshot }));
    else
      checks.push({
        ...result('breaking changes'),
        failures: [`no baseline: run \`npm run schema:snapshot\` and commit ${SNAPSHOT}`],
      });
  }
  if (sdl && ['all', 'ops'].includes(command)) checks.push(checkOperations(apiSchemaSdl(sdl)));
  if (['all', 'codegen'].includes(command)) checks.push(await checkGeneratedCode());
  if (command === 'all') checks.push(dbCheck());
  return report(checks);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const command = process.argv[2] ?? 'all';
  if (!['all', 'compose', 'diff', 'ops', 'codegen', 'snapshot'].includes(command)) {
    console.error('usage: tsx scripts/schema-check.ts [all|compose|diff|ops|codegen|snapshot]');
    process.exit(2);
  }
  process.exitCode = (await main(command)) ? 0 : 1;
}
