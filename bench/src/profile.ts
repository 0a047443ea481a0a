/**
 * Summarises a V8 .cpuprofile (node --cpu-prof): self time by function and by package, to say where a
 * process spends its time.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** node_modules/<package>, node's own code, or our code by its repository path. */
function ownerOf(url: string): string {
  if (url === '') return '(native / V8)';
  if (url.startsWith('node:')) return 'node (core)';
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules?.[1]) return modules[1];
  const repository = /\/(router|subgraphs|bench)\/.+$/.exec(url);
  return repository ? repository[0].slice(1) : url;
}

/**
 * `window` (CLOCK_MONOTONIC microseconds, as `process.hrtime` and V8's profiler both count) keeps only the
 * samples taken under load, leaving out start-up and idle time.
 */
export function summariseProfile(
  profileDir: string,
  title: string,
  window?: { startMicros: number; endMicros: number },
  top = 12,
): string {
  // One file per thread (CPU.<date>.<time>.<pid>.<thread>.<n>); the main thread starts first, so it sorts first.
  const file = readdirSync(profileDir)
    .filter((name) => name.endsWith('.cpuprofile'))
    .sort()[0];
  if (!file) throw new Error(`no .cpuprofile in ${profileDir}`);
  const profile = JSON.parse(readFileSync(path.join(profileDir, file), 'utf8')) as CpuProfile;
  // Self time per node: the time deltas of the samples that landed in it.
  const selfMicros = new Map<number, number>();
  let at = profile.startTime;
  profile.samples.forEach((nodeId, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    at += delta;
    if (window && (at < window.startMicros || at > window.endMicros)) return;
    selfMicros.set(nodeId, (selfMicros.get(nodeId) ?? 0) + delta);
  });
  const total = [...selfMicros.values()].reduce((sum, micros) => sum + micros, 0);
  const byFunction = new Map<string, number>();
  const byOwner = new Map<string, number>();
  for (const node of profile.nodes) {
    const micros = selfMicros.get(node.id) ?? 0;
    const { functionName, url, lineNumber } = node.callFrame;
    const owner = ownerOf(url);
    const key = `${functionName || '(anonymous)'} — ${owner}${url ? `:${lineNumber + 1}` : ''}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + micros);
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + micros);
  }
  const table = (entries: Map<string, number>) =>
    [...entries.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, micros]) => `| ${name.replaceAll('|', '\\|')} | ${((100 * micros) / total).toFixed(1)} % |`);
  return [
    `# CPU profile: ${title}`,
    '',
    `${(total / 1e6).toFixed(1)} s of samples${window ? ' taken under load' : ''} (${file}). Self time: a ` +
      "function's callees are not included; `(idle)` is time the process waited (for subgraphs or clients).",
    '',
    '| by package | self |',
    '| --- | ---: |',
    ...table(byOwner),
    '',
    '| by function | self |',
    '| --- | ---: |',
    ...table(byFunction),
    '',
  ].join('\n');
}
