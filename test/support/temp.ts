/**
 * Temporary directories for tests: create one under the OS temp dir, remove it recursively.
 *
 * Every support helper that needs scratch space (git fixtures, the go client's caches, its HOME)
 * goes through here, so a test that awaits its cleanup leaves nothing behind in /tmp.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Creates a fresh, empty directory under the OS temp dir whose name starts with `git-goproxy-<label>-`. */
export async function makeTempDir(label: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `git-goproxy-${label}-`));
}

/**
 * Removes `dir` and everything under it; a missing directory is fine. Retries a few times because a
 * child process that was just killed may still be closing files in it.
 */
export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
}

/** Runs `work` with a fresh temp dir and removes the dir afterwards, whether `work` succeeded or threw. */
export async function withTempDir<T>(label: string, work: (dir: string) => Promise<T>): Promise<T> {
  const dir = await makeTempDir(label);
  try {
    return await work(dir);
  } finally {
    await removeDir(dir);
  }
}
