/**
 * `npm start`'s development process: the compiled mains given as arguments (every subgraph, the router, the
 * storefront's server) run in this one Node process, each still on its own port with its own database and the
 * same code as in production, sharing what they load (Apollo, Prisma, PGlite and its compiled WebAssembly).
 * Production runs one service per process (the image, Kubernetes). Built by scripts/build.ts.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  dataRoot,
  loadInternalToken,
  loadKeyPems,
  ONE_PROCESS_HOST,
  type OneProcessHost,
  type ServedService,
  startupFailure,
} from '@shop/platform';

const served: ServedService[] = [];
const starting: Promise<void>[] = [];
let failed = false;

const host: OneProcessHost = {
  serve: (name, start) =>
    void starting.push(
      start().then(
        (service) => void served.push(service),
        (error: unknown) => {
          console.error(startupFailure(name, error));
          failed = true;
        },
      ),
    ),
};
(globalThis as { [ONE_PROCESS_HOST]?: OneProcessHost })[ONE_PROCESS_HOST] = host;

let stopping = false;
/** Stops every service: no new connections, open ones ended, then each closes its databases. */
async function stopAll(exitCode: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    await Promise.all(
      served.map(async ({ server, closeResources, log, endStreams }) => {
        endStreams?.();
        await new Promise((resolve) => {
          server.close(resolve);
          server.closeAllConnections();
        });
        await closeResources().catch((error: unknown) => log.error({ err: error }, 'error while closing'));
      }),
    );
  }
  process.exit(exitCode);
}
process.on('SIGTERM', () => void stopAll(0));
process.on('SIGINT', () => void stopAll(0));

// One development key pair and internal token for every service, made before any starts.
const keySettings = { ...process.env, keyDir: path.join(dataRoot(process.env), 'keys'), production: false };
await loadKeyPems(keySettings);
loadInternalToken(keySettings);

// Each main hands its service to the host and returns: they start side by side.
for (const entry of process.argv.slice(2)) await import(pathToFileURL(entry).href);
await Promise.all(starting);
if (failed) await stopAll(1);
