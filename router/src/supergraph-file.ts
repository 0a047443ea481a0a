import { readFileSync, watch } from 'node:fs';
import path from 'node:path';
import { StartupError } from '@shop/platform';

export function readSupergraph(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    throw new StartupError(`cannot read the supergraph ${file}; run npm run compose, or set SUPERGRAPH_FILE`);
  }
}

/** Changes settle for this long before the file is read: an editor or a copy writes it in several steps. */
const SETTLE_MS = 100;

/**
 * Calls `onChange` with the file's text when it changes, and on SIGHUP. The folder is watched, not the file:
 * tools replace a file (a new inode: `mv`, `kubectl` ConfigMaps' symlink swaps), which a watch on it misses.
 * A file that cannot be read is reported and skipped; the router keeps serving.
 */
export function watchSupergraph(
  file: string,
  onChange: (sdl: string) => void,
  onUnreadable: (reason: string) => void,
): () => void {
  let timer: NodeJS.Timeout | null = null;
  const load = () => {
    timer = null;
    let sdl: string;
    try {
      sdl = readFileSync(file, 'utf8');
    } catch (error) {
      return onUnreadable((error as Error).message);
    }
    onChange(sdl);
  };
  const soon = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(load, SETTLE_MS);
  };
  const name = path.basename(file);
  const watcher = watch(path.dirname(file), (_event, changed) => {
    if (changed === null || changed === name || changed === '..data') soon();
  });
  watcher.on('error', (error) => onUnreadable(error.message));
  process.on('SIGHUP', soon);
  return () => {
    if (timer) clearTimeout(timer);
    watcher.close();
    process.off('SIGHUP', soon);
  };
}
