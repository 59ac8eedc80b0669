/**
 * One fetch of a remote into its mirror, a bare repository in the data directory.
 *
 * Only what the go command sees is fetched: branches and tags (`+refs/heads/*`, `+refs/tags/*`),
 * forced, so that a force-pushed branch or a moved tag is taken as the remote has it, and with
 * `--prune`, so that one deleted there goes here too (pins keep served versions as they were:
 * pins/pin-guard.ts). Pull and merge request refs are never asked for. HEAD follows the remote's
 * default branch. Refs outside those two namespaces (the pinned commits kept under
 * `refs/goproxy/`) are left alone, so their objects survive any rewrite upstream.
 *
 * No remote is configured in the mirror and no FETCH_HEAD is written: the URL is given to each
 * command, and the mirror's files hold nothing about where it came from.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GitError, runGit } from '../git/run.ts';
import type { FetchAuth } from './credentials.ts';

/** The refs a mirror holds: branches and tags, forced. */
const REFSPECS = ['+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*'];

/** Namespace of the refs that keep pinned commits' objects (mirror-set.ts). */
const KEPT_REFS = 'refs/goproxy/pinned/';

/** One fetch's inputs. */
export interface FetchJob {
  readonly gitDir: string;
  readonly url: string;
  readonly auth: FetchAuth;
  /** Aborted on timeout or shutdown: the git process is killed. */
  readonly signal: AbortSignal;
}

/**
 * The fetch holds its slot of the mirror set's bound for all its git processes, so they take none
 * of their own (`runGit`'s limiter is for requests).
 */
const HELD_SLOT = (): void => undefined;

/** Creates the mirror's bare repository when it does not exist yet (a repository already there is left as it is). */
export async function initMirror(gitDir: string): Promise<void> {
  const head = await readFile(join(gitDir, 'HEAD'), 'utf8').catch(() => undefined);
  if (head !== undefined) return;
  await mkdir(gitDir, { recursive: true });
  await runGit(gitDir, ['init', '--quiet', '--bare'], { slot: HELD_SLOT });
}

/** Fetches branches and tags, then points HEAD where the remote's does. Rejects with git's reason. */
export async function fetchRemote(job: FetchJob): Promise<void> {
  const options = { signal: job.signal, env: job.auth.env, slot: HELD_SLOT };
  const head = await remoteHead(job, options);
  await runGit(
    job.gitDir,
    [
      // A `gc --auto` that the fetch starts runs before it returns, not detached past its end.
      '-c',
      'gc.autoDetach=false',
      'fetch',
      '--quiet',
      '--prune',
      '--no-tags',
      '--no-write-fetch-head',
      '--end-of-options',
      job.url,
      ...REFSPECS,
    ],
    options,
  );
  if (head !== undefined) await followHead(job.gitDir, head);
}

/** The branch the remote's HEAD names (`refs/heads/main`), or undefined for an empty or detached remote. */
async function remoteHead(job: FetchJob, options: { signal: AbortSignal; env: Readonly<Record<string, string>> }) {
  const text = (await runGit(job.gitDir, ['ls-remote', '--symref', '--end-of-options', job.url, 'HEAD'], {
    ...options,
    slot: HELD_SLOT,
  })).toString('utf8');
  const match = /^ref: (refs\/heads\/\S+)\tHEAD$/m.exec(text);
  return match?.[1];
}

/** Points HEAD at `branch` when it differs and the branch was fetched. */
async function followHead(gitDir: string, branch: string): Promise<void> {
  const current = await readFile(join(gitDir, 'HEAD'), 'utf8').catch(() => '');
  if (current.trim() === `ref: ${branch}`) return;
  try {
    await runGit(gitDir, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${branch}^{commit}`], {
      slot: HELD_SLOT,
    });
  } catch (error) {
    if (error instanceof GitError) return; // not fetched (not a commit): HEAD stays
    throw error;
  }
  await runGit(gitDir, ['symbolic-ref', 'HEAD', branch], { slot: HELD_SLOT });
}

/**
 * Keeps `commit`'s objects in the mirror whatever the remote does, under a ref no fetch touches (a
 * served version's pin: it takes a slot of the shared git bound, as request work does).
 */
export async function keepCommit(gitDir: string, commit: string): Promise<void> {
  await runGit(gitDir, ['update-ref', '--end-of-options', `${KEPT_REFS}${commit}`, commit]);
}
