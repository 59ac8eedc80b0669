/**
 * One fetch at a time per mirror across processes: `--workers` share the data directory, and
 * `node lib/server.js mirrors fetch` may run beside a server. The lock is a file next to the
 * mirror, created exclusively and naming its holder (pid and run id); a holder that is gone (a
 * crash, a kill) leaves a stale lock, which the next fetch takes over.
 *
 * A waiter watches the directory for the lock's removal, and looks again every second in case a
 * file system does not report it.
 */
import { type FSWatcher, watch } from 'node:fs';
import { mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { RUN_ID, writerIsGone } from '../common/owned-files.ts';

/** How often a waiter looks again when no watch event came. */
const RECHECK_MS = 1000;

/** A lock file that names no holder this long after it was made was left by a process that died while creating it. */
const UNNAMED_STALE_MS = 10_000;

/** Gives the lock back (removes the file). */
export type Unlock = () => Promise<void>;

/** Takes the lock of the mirror at `gitDir`, waiting while a live process holds it; rejects with the signal's reason. */
export async function lockMirror(gitDir: string, signal: AbortSignal): Promise<Unlock> {
  const file = `${gitDir}.fetching`;
  await mkdir(dirname(file), { recursive: true });
  for (;;) {
    signal.throwIfAborted();
    if (await tryCreate(file)) return () => rm(file, { force: true });
    if (await isStale(file)) {
      await rm(file, { force: true });
      continue;
    }
    await changeOrTimeout(file, signal);
  }
}

/** Creates the lock file naming this process; false when it exists. */
async function tryCreate(file: string): Promise<boolean> {
  try {
    const handle = await open(file, 'wx');
    await handle.writeFile(`${process.pid} ${RUN_ID}\n`);
    await handle.close();
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** Whether the lock's holder is gone (a lock just created, with no holder named yet, is not stale). */
async function isStale(file: string): Promise<boolean> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return false; // gone already: the next attempt takes it
  const match = /^(\d+) ([0-9a-f]+)\n$/.exec(text);
  if (match !== null) return writerIsGone(Number(match[1]), match[2]!);
  const made = await stat(file).then((stats) => stats.mtimeMs, () => Date.now());
  return Date.now() - made > UNNAMED_STALE_MS;
}

/** Resolves when the directory reports a change to the lock file, or after `RECHECK_MS`, or when aborted. */
function changeOrTimeout(file: string, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    let watcher: FSWatcher | undefined;
    const done = (): void => {
      clearTimeout(timer);
      watcher?.close();
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, RECHECK_MS);
    signal.addEventListener('abort', done, { once: true });
    try {
      watcher = watch(dirname(file), { persistent: false }, (_event, name) => {
        if (name === null || name === basename(file)) done();
      });
      watcher.on('error', done);
    } catch {
      // No watch here: the timer looks again.
    }
  });
}
