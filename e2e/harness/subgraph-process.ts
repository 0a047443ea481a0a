import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { REPOSITORY_ROOT } from '../../scripts/subgraphs.js';
import { freePort } from './ports.js';

/**
 * One subgraph as its own process (`subgraphs/<service>/src/main.ts`), as `npm start` runs it: for tests that
 * kill, pause or restart a service. `env` adds to a minimal environment (PATH, a free port, silent logs).
 */
export const startSubgraphProcess = (service: string, env: Record<string, string>) =>
  startServiceProcess({
    entry: `subgraphs/${service}/src/main.ts`,
    portVariable: `${service.toUpperCase()}_PORT`,
    env,
  });

/**
 * A service of ours as its own process (a subgraph's or the router's main), on a free port, ready when its
 * `/ready` answers. It remembers every exit it did not cause itself (`unexpectedExits`): a crash.
 */
export async function startServiceProcess(options: {
  entry: string;
  portVariable: string;
  env: Record<string, string>;
}) {
  const port = await freePort();
  let child: ChildProcess | undefined;
  /** Set while we end the process ourselves (kill, stop), so its exit is not counted as a crash. */
  let endingOnPurpose = false;
  const unexpectedExits: string[] = [];
  const exited = () => !child || child.exitCode !== null || child.signalCode !== null;
  const waitForExit = async () => {
    while (!exited()) await new Promise((resolve) => setTimeout(resolve, 50));
  };
  const start = async () => {
    endingOnPurpose = false;
    child = spawn(process.execPath, ['--import', 'tsx', path.join(REPOSITORY_ROOT, options.entry)], {
      cwd: REPOSITORY_ROOT,
      stdio: 'ignore',
      env: { PATH: process.env.PATH, LOG_LEVEL: 'silent', ...options.env, [options.portVariable]: String(port) },
    });
    child.once('exit', (code, signal) => {
      if (!endingOnPurpose) unexpectedExits.push(`${options.entry} exited (code ${code}, signal ${signal})`);
    });
    await until(
      () =>
        fetch(`http://127.0.0.1:${port}/ready`).then(
          (response) => response.ok,
          () => false,
        ),
      90_000,
      exited,
    );
  };
  await start();
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    port,
    get pid() {
      return child?.pid as number;
    },
    unexpectedExits,
    /** Starts it again on the same port and environment (after a kill). */
    start,
    kill: (signal: NodeJS.Signals) => {
      if (signal === 'SIGKILL' || signal === 'SIGTERM') endingOnPurpose = true;
      child?.kill(signal);
    },
    waitForExit,
    /** SIGTERM, then SIGKILL if it has not exited within 10 s. */
    stop: async () => {
      if (exited()) return;
      endingOnPurpose = true;
      child?.kill('SIGCONT');
      child?.kill('SIGTERM');
      const force = setTimeout(() => child?.kill('SIGKILL'), 10_000);
      await waitForExit();
      clearTimeout(force);
    },
  };
}

export type SubgraphProcess = Awaited<ReturnType<typeof startServiceProcess>>;

/** Polls `condition` every 100 ms until it holds; fails after `timeoutMs`, or at once when `gaveUp` says so. */
export async function until(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
  gaveUp: () => boolean = () => false,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (gaveUp()) throw new Error('the process exited while we waited for it');
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
