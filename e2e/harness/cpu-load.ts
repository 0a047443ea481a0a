import { type ChildProcess, spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';

/**
 * Busy processes, one per core by default, so a test runs while the CPUs are contended as on a busy host.
 * Each loop ends by itself after `maxMs` even if nobody stops it; `stop` ends them at once (by PID).
 */
export function startCpuLoad({ processes = availableParallelism(), maxMs = 5 * 60_000 } = {}) {
  const children: ChildProcess[] = Array.from({ length: processes }, () =>
    spawn(process.execPath, ['-e', `const end = Date.now() + ${maxMs}; while (Date.now() < end) {}`], {
      stdio: 'ignore',
    }),
  );
  return {
    processes,
    stop: () =>
      Promise.all(
        children.map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolve();
              child.once('exit', () => resolve());
              child.kill('SIGKILL');
            }),
        ),
      ),
  };
}
