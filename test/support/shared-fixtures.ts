/**
 * Heavy fixtures built once per test run and shared by the test files that need them (a built
 * program, a large repository): `sharedFixture(name, build)` resolves with a directory that
 * `build` filled. The first file to ask builds it while the others wait for it, though the files
 * run in processes of their own, several at once. It is read-only once built: a test that changes a
 * repository copies it first (`git clone --bare --local` hard-links the objects).
 *
 * test/run.ts gives each run a directory for them (`GIT_GOPROXY_TEST_SHARED`) and removes it at the
 * end; a file run on its own keeps them in a temp dir of its process, removed when it exits.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** The environment variable naming the run's directory of shared fixtures. */
export const SHARED_FIXTURES_ENV = 'GIT_GOPROXY_TEST_SHARED';

const built = new Map<string, Promise<string>>();
let ownDir: string | undefined;

/** The directory `build` filled for `name` in this run, built now if no test file has built it yet. */
export function sharedFixture(name: string, build: (dir: string) => Promise<void>): Promise<string> {
  let dir = built.get(name);
  if (dir === undefined) built.set(name, dir = buildOnce(join(sharedRoot(), name), build));
  return dir;
}

function sharedRoot(): string {
  const fromRun = process.env[SHARED_FIXTURES_ENV];
  if (fromRun !== undefined && fromRun !== '') return fromRun;
  if (ownDir === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'git-goproxy-shared-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    ownDir = dir;
  }
  return ownDir;
}

/**
 * Builds into a scratch directory and renames it into place, under a lock directory that holds the
 * builder's pid: others wait for the fixture, or take over when the builder died without it.
 */
async function buildOnce(dir: string, build: (dir: string) => Promise<void>): Promise<string> {
  const lock = `${dir}.lock`;
  for (;;) {
    if (existsSync(dir)) return dir;
    try {
      await mkdir(lock);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (builderIsGone(lock)) await rm(lock, { recursive: true, force: true });
      else await sleep(50);
      continue;
    }
    try {
      await writeFile(join(lock, 'pid'), String(process.pid));
      const scratch = `${dir}.${process.pid}`;
      await rm(scratch, { recursive: true, force: true });
      await mkdir(scratch);
      await build(scratch);
      await rename(scratch, dir);
      return dir;
    } finally {
      await rm(lock, { recursive: true, force: true });
    }
  }
}

/** Whether the process that took `lock` has exited (a lock without its pid yet is being taken). */
function builderIsGone(lock: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(join(lock, 'pid'), 'utf8'));
  } catch {
    return false;
  }
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
