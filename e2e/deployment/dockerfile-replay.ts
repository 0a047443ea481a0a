import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * Replays a Dockerfile without Docker: each stage in an empty folder standing for its WORKDIR, holding exactly
 * what its COPY lines bring (from the build context, .dockerignore applied, or from an earlier stage), its RUN
 * lines run there in order with its ENV. A step that needs a file the Dockerfile never copied fails here as it
 * would in `docker build`. The host's node and npm stand in for the base image's.
 */

export type Instruction =
  | { kind: 'COPY'; from?: string; sources: string[]; destination: string }
  | { kind: 'RUN'; command: string }
  | { kind: 'ENV' | 'ARG'; values: Record<string, string> }
  | { kind: 'WORKDIR' | 'USER'; value: string }
  | { kind: 'CMD'; command: string[] }
  | { kind: 'HEALTHCHECK'; command: string[] };

export interface Stage {
  name: string;
  image: string;
  instructions: Instruction[];
}

/** The instructions this replay understands; anything else in the Dockerfile is an error, not silently skipped. */
export function parseDockerfile(text: string): Stage[] {
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of lines) {
    const [, keyword = '', rest = ''] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    const stage = stages.at(-1);
    if (keyword === 'FROM') {
      const [, image = '', name] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest) ?? [];
      stages.push({ name: name ?? String(stages.length), image, instructions: [] });
      continue;
    }
    if (!stage) throw new Error(`${keyword} before FROM`);
    switch (keyword) {
      case 'COPY': {
        const words = rest.split(/\s+/);
        const from = words[0]?.startsWith('--from=') ? words.shift()?.slice('--from='.length) : undefined;
        if (words.some((word) => word.startsWith('--'))) throw new Error(`unsupported COPY option in: ${line}`);
        const destination = words.pop() ?? '';
        stage.instructions.push({ kind: 'COPY', ...(from ? { from } : {}), sources: words, destination });
        break;
      }
      case 'RUN':
        stage.instructions.push({ kind: 'RUN', command: rest });
        break;
      case 'ENV':
      case 'ARG':
        stage.instructions.push({
          kind: keyword,
          values: Object.fromEntries(
            rest.split(/\s+/).map((pair) => {
              const [name = '', ...value] = pair.split('=');
              return [name, value.join('=')];
            }),
          ),
        });
        break;
      case 'WORKDIR':
      case 'USER':
        stage.instructions.push({ kind: keyword, value: rest });
        break;
      case 'CMD':
        stage.instructions.push({ kind: 'CMD', command: JSON.parse(rest) });
        break;
      case 'HEALTHCHECK':
        stage.instructions.push({ kind: 'HEALTHCHECK', command: JSON.parse(rest.slice(rest.indexOf('CMD') + 3)) });
        break;
      default:
        throw new Error(`the replay does not know ${keyword}: ${line}`);
    }
  }
  return stages;
}

/** The build context's files (git's view of the working tree), less what .dockerignore leaves out. */
export function contextFiles(root: string): string[] {
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
    cwd: root,
    encoding: 'utf8',
  });
  const ignoreFile = path.join(root, '.dockerignore');
  const patterns = existsSync(ignoreFile)
    ? readFileSync(ignoreFile, 'utf8')
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line && !line.startsWith('#'))
        .map(globToRegExp)
    : [];
  return listed
    .split('\0')
    .filter((file) => file && existsSync(path.join(root, file)))
    .filter((file) => !patterns.some((pattern) => pattern.test(file)));
}

/** A .dockerignore pattern: `**` any directories, `*` within one name; a match on a directory covers its files. */
function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .replace(/^\/+|\/+$/g, '')
    .split('/')
    .map((part) =>
      part === '**' ? '(?:[^/]+/)*' : `${part.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}/`,
    )
    .join('')
    .replace(/\/$/, '');
  return new RegExp(`^${body}(?:/|$)`);
}

export interface ReplayedStage {
  name: string;
  /** The folder standing for the stage's WORKDIR. */
  dir: string;
  env: Record<string, string>;
  user: string | undefined;
  command: string[] | undefined;
  healthcheck: string[] | undefined;
}

/** Replays every stage into `workDir/<stage>`; `log` hears each step. */
export function replayDockerfile(
  stages: Stage[],
  {
    context,
    files,
    workDir,
    log = () => undefined,
  }: { context: string; files: string[]; workDir: string; log?: (line: string) => void },
): ReplayedStage[] {
  const done: ReplayedStage[] = [];
  for (const stage of stages) {
    let dir: string | undefined;
    const env: Record<string, string> = {};
    const replayed: ReplayedStage = {
      name: stage.name,
      dir: '',
      env,
      user: undefined,
      command: undefined,
      healthcheck: undefined,
    };
    const inStage = (target: string) => {
      if (!dir) throw new Error(`stage ${stage.name}: a step before WORKDIR`);
      return path.isAbsolute(target) ? path.join(dir, path.relative(WORKDIR, target)) : path.join(dir, target);
    };
    const expand = (value: string) => value.replace(/\$\{(\w+)\}/g, (_, name: string) => env[name] ?? '');
    for (const instruction of stage.instructions) {
      switch (instruction.kind) {
        case 'WORKDIR':
          if (instruction.value !== WORKDIR) throw new Error(`the replay maps only WORKDIR ${WORKDIR}`);
          dir = path.join(workDir, stage.name);
          mkdirSync(dir, { recursive: true });
          replayed.dir = dir;
          break;
        case 'ENV':
        case 'ARG':
          for (const [name, value] of Object.entries(instruction.values)) {
            // A path under the WORKDIR points into the stage's folder.
            const expanded = expand(value);
            env[name] = expanded.startsWith(`${WORKDIR}/`) ? inStage(expanded) : expanded;
          }
          break;
        case 'COPY': {
          const destination = inStage(instruction.destination);
          for (const source of instruction.sources) {
            if (instruction.from) {
              const from = done.find((earlier) => earlier.name === instruction.from);
              if (!from) throw new Error(`COPY --from=${instruction.from}: no such earlier stage`);
              copyInto(path.join(from.dir, path.relative(WORKDIR, source)), destination, instruction.destination);
            } else {
              copyFromContext(context, files, source, destination, instruction.destination);
            }
          }
          log(
            `${stage.name}: COPY ${instruction.from ? `--from=${instruction.from} ` : ''}${instruction.sources.join(' ')} ${instruction.destination}`,
          );
          break;
        }
        case 'RUN': {
          log(`${stage.name}: RUN ${instruction.command}`);
          const result = spawnSync('sh', ['-c', instruction.command], {
            cwd: dir,
            env: { ...networkSettings(), PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
            encoding: 'utf8',
            maxBuffer: 64 * 1024 * 1024,
          });
          if (result.status !== 0) {
            throw new Error(
              `stage ${stage.name}: RUN ${instruction.command} exited ${result.status}:\n${`${result.stdout}\n${result.stderr}`.slice(-4000)}`,
            );
          }
          break;
        }
        case 'USER':
          replayed.user = instruction.value;
          break;
        case 'CMD':
          replayed.command = instruction.command;
          break;
        case 'HEALTHCHECK':
          replayed.healthcheck = instruction.command;
          break;
      }
    }
    done.push(replayed);
  }
  return done;
}

const WORKDIR = '/app';

/**
 * The host's network settings, which `docker build` also lends a build (proxies, the certificate authorities a
 * registry mirror is signed by); nothing else of the host's environment reaches a RUN step.
 */
function networkSettings(): Record<string, string> {
  const passed =
    /^(NODE_EXTRA_CA_CERTS|SSL_CERT_FILE|SSL_CERT_DIR|HTTPS?_PROXY|NO_PROXY|npm_config_(registry|cafile))$/i;
  return Object.fromEntries(
    Object.entries(process.env).filter((entry): entry is [string, string] => passed.test(entry[0]) && !!entry[1]),
  );
}

/** Docker's COPY: a directory's contents go into the destination; a file goes into it if it ends with `/`. */
function copyInto(source: string, destination: string, written: string) {
  if (!existsSync(source)) throw new Error(`COPY: ${source} does not exist`);
  const target =
    statSync(source).isDirectory() || !written.endsWith('/')
      ? destination
      : path.join(destination, path.basename(source));
  mkdirSync(path.dirname(target), { recursive: true });
  cpSync(source, target, { recursive: true, verbatimSymlinks: true });
}

function copyFromContext(context: string, files: string[], source: string, destination: string, written: string) {
  const prefix = source === '.' ? '' : source.replace(/\/$/, '');
  const matched = files.filter((file) => prefix === '' || file === prefix || file.startsWith(`${prefix}/`));
  if (matched.length === 0) throw new Error(`COPY ${source}: not in the build context (or excluded by .dockerignore)`);
  for (const file of matched) {
    const inside = prefix === '' ? file : file === prefix ? path.basename(file) : path.relative(prefix, file);
    const target =
      file === prefix && !written.endsWith('/') && matched.length === 1 && written !== '.' && written !== './'
        ? destination
        : path.join(destination, inside);
    mkdirSync(path.dirname(target), { recursive: true });
    cpSync(path.join(context, file), target);
  }
}
