/**
 * Server processes for the benchmark: compiled services on plain node (TypeScript ones through tsx), pinned to the server cores when `taskset` is
 * available, logging into files (a full pipe would stall them), stopped by their PID only.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { REPOSITORY_ROOT } from '../../scripts/subgraphs.js';

/** Cores for the servers and for the load generator: the last core drives load, the others serve. */
export interface CorePlan {
  pinned: boolean;
  serverCores: string;
  loadCore: string;
}

export function planCores(): CorePlan {
  const cores = availableParallelism();
  let taskset = false;
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    taskset = true;
  } catch {
    // not installed (e.g. macOS): everything shares all cores, and the report says so
  }
  if (!taskset || cores < 2) return { pinned: false, serverCores: `0-${cores - 1}`, loadCore: `0-${cores - 1}` };
  return { pinned: true, serverCores: cores === 2 ? '0' : `0-${cores - 2}`, loadCore: String(cores - 1) };
}

/** Moves this process (every thread: autocannon runs here) to the load generator's core. */
export function pinSelf(plan: CorePlan): void {
  if (plan.pinned) execFileSync('taskset', ['-a', '-cp', plan.loadCore, String(process.pid)], { stdio: 'ignore' });
}

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux

export interface ServerProcess {
  name: string;
  child: ChildProcess;
  logFile: string;
  /** Resident memory now, from /proc (null where there is no /proc). */
  rssMb(): number | null;
  /** CPU time used so far (user + system), from /proc (0 where there is none). */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

export function startServer(options: {
  name: string;
  entry: string;
  env: NodeJS.ProcessEnv;
  plan: CorePlan;
  logDir: string;
  nodeOptions?: string[];
  /** The checkout to run in (a baseline worktree); default this repository. */
  cwd?: string;
}): ServerProcess {
  const logFile = path.join(options.logDir, `${options.name}.log`);
  const output = openSync(logFile, 'a');
  // Compiled services (dist/*.js) run on plain node; TypeScript entries (the peers' small gateways) through tsx.
  const loader = options.entry.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const node = [process.execPath, ...(options.nodeOptions ?? []), ...loader, options.entry];
  const [command, ...args] = options.plan.pinned ? ['taskset', '-c', options.plan.serverCores, ...node] : node;
  const child = spawn(command as string, args, {
    cwd: options.cwd ?? REPOSITORY_ROOT,
    env: options.env,
    stdio: ['ignore', output, output],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    name: options.name,
    child,
    logFile,
    rssMb: () => {
      try {
        const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
        const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]);
        return Number.isFinite(kb) ? Math.round(kb / 1024) : null;
      } catch {
        return null;
      }
    },
    cpuSeconds: () => {
      try {
        // Fields 14 and 15 of /proc/<pid>/stat, after the parenthesised command name: utime, stime in ticks.
        const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
        return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
      } catch {
        return 0;
      }
    },
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** Polls `probe` until it succeeds; fails with the process's log tail if it exits or takes too long. */
export async function waitFor(server: ServerProcess, probe: () => Promise<boolean>, timeoutMs = 120_000) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (server.child.exitCode !== null || server.child.signalCode !== null) {
      throw new Error(`${server.name} exited while starting; its log (${server.logFile}):\n${tail(server.logFile)}`);
    }
    if (await probe().catch(() => false)) return;
    if (performance.now() > deadline) throw new Error(`${server.name} not ready after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export const answersOk = (url: string) => async () => (await fetch(url, { signal: AbortSignal.timeout(2000) })).ok;

/** A GraphQL endpoint is up when `{ __typename }` answers with data. */
export const answersGraphQL = (url: string) => async () => {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ __typename }' }),
    signal: AbortSignal.timeout(2000),
  });
  return response.ok && ((await response.json()) as { data?: unknown }).data !== undefined;
};

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '(no log)';
  }
}
