/**
 * Module zips straight from `git archive`, run the way the go command runs it
 * (`codehost/git.go` `ReadZip`): `git -c core.autocrlf=input -c core.eol=lf archive --format=zip
 * <commit> [<dir>]` in a git dir whose `info/attributes` ends with `* -export-subst -export-ignore`
 * (`ensureGitAttributes`). That line outranks in-tree `.gitattributes`, so export-ignore'd files
 * stay in and `$Format:…$` stays literal, while eol/text attributes still convert line endings.
 *
 * The served repositories are never written to. Each one gets a tiny shadow bare git dir under
 * `baseDir` whose `objects/info/alternates` points at the real object store and whose
 * `info/attributes` holds that line only. The shadow has no refs and its own minimal config, so
 * only a full commit id can be archived, and neither the served repository's config (filter
 * drivers and the like) nor its `info/attributes` play a part: the go command archives from its
 * own freshly initialised clone, which has neither (GitLab, for one, writes the default branch's
 * `.gitattributes` into `info/attributes`; applying those to every version would change hashes).
 */
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type GitRunOptions, spawnGit } from './run.ts';
import { isFullObjectId } from './object-id.ts';
import { ImmutableCache } from '../common/immutable-cache.ts';

/** The attributes line the go command appends (golang/go#27153). */
const NEUTRALISE_EXPORT_ATTRIBUTES = '* -export-subst -export-ignore\n';

/** Shadow paths remembered: past it, a repository's shadow is looked up on disk again (a stat and a read). */
const MAX_SHADOWS_KEPT = 10_000;

/** Compression of the zip git writes: `store` is `-0`, `fast` is `-1`, `default` is git's own. */
export type CompressionLevel = 'store' | 'fast' | 'default';

/** Options of `ShadowRepos.archiveZip`. */
export interface ArchiveOptions extends Pick<GitRunOptions, 'signal' | 'limiter' | 'slot'> {
  level?: CompressionLevel;
}

const LEVEL_FLAGS: Record<CompressionLevel, string[]> = { store: ['-0'], fast: ['-1'], default: [] };

/** The shadow git dirs of all served repositories, kept under one base directory. */
export class ShadowRepos {
  readonly baseDir: string;
  /** Real git dir (as given) → its shadow's path; created once per process (again only if forgotten). */
  readonly #shadows = new ImmutableCache<string>({ maxEntries: MAX_SHADOWS_KEPT });

  constructor(baseDir: string) {
    this.baseDir = baseDir;
  }

  /**
   * Starts `git archive` of `commit` (a full object id), limited to `paths` (literal pathspecs:
   * files, or directories with everything below them) when any are given, and returns the child:
   * its stdout is the zip, `gitExit(child)` tells whether git succeeded (a missing path fails with
   * "did not match any files"). Entry names are relative to the repository root.
   */
  async archiveZip(
    gitDir: string,
    commit: string,
    paths: readonly string[],
    options: ArchiveOptions = {},
  ): Promise<ChildProcess> {
    if (!isFullObjectId(commit)) throw new TypeError(`not a full commit id: ${JSON.stringify(commit)}`);
    const shadow = await this.shadowFor(gitDir).catch((error: unknown) => {
      options.slot?.(); // a slot taken for this archive goes back
      throw error;
    });
    const args = [
      '-c',
      'core.autocrlf=input',
      '-c',
      'core.eol=lf',
      'archive',
      '--format=zip',
      ...LEVEL_FLAGS[options.level ?? 'default'],
    ];
    // git 2.39's archive takes `--` after --end-of-options as a pathspec, so none is written.
    args.push('--end-of-options', commit, ...paths);
    return spawnGit(shadow, args, { signal: options.signal, limiter: options.limiter, slot: options.slot });
  }

  /** The shadow git dir of `gitDir`, created on first use (safe against concurrent creators). */
  shadowFor(gitDir: string): Promise<string> {
    return this.#shadows.get(gitDir, () => this.#createShadow(gitDir));
  }

  async #createShadow(gitDir: string): Promise<string> {
    const realGitDir = await realpath(gitDir);
    // `alternates` is a list of lines: a path with a newline cannot be written into it.
    if (realGitDir.includes('\n')) throw new Error('a git dir path must not contain a newline');
    const name = createHash('sha256').update(realGitDir).digest('hex').slice(0, 32);
    const shadow = join(this.baseDir, `${name}.git`);
    if (await isDirectory(join(shadow, 'objects'))) {
      await repairAttributes(shadow);
      return shadow;
    }
    await mkdir(this.baseDir, { recursive: true });
    const staging = await mkdtemp(join(this.baseDir, '.staging-'));
    try {
      await writeShadowSkeleton(staging, join(realGitDir, 'objects'));
      await rename(staging, shadow);
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      // Another process (or an earlier run) made it first: theirs is as good as ours.
      if (!(await isDirectory(join(shadow, 'objects')))) throw error;
    }
    return shadow;
  }
}

/** The files that make `dir` a bare git dir borrowing its objects from `objectsDir`. */
async function writeShadowSkeleton(dir: string, objectsDir: string): Promise<void> {
  await mkdir(join(dir, 'objects', 'info'), { recursive: true });
  await mkdir(join(dir, 'refs'), { recursive: true });
  await mkdir(join(dir, 'info'), { recursive: true });
  await writeFile(join(dir, 'HEAD'), 'ref: refs/heads/main\n');
  await writeFile(join(dir, 'config'), '[core]\n\trepositoryformatversion = 0\n\tbare = true\n');
  await writeFile(join(dir, 'objects', 'info', 'alternates'), `${objectsDir}\n`);
  await writeFile(join(dir, 'info', 'attributes'), NEUTRALISE_EXPORT_ATTRIBUTES);
}

/**
 * Makes an existing shadow's `info/attributes` hold exactly the go command's line (atomically):
 * shadows written by older versions of this server also held the served repository's own.
 */
async function repairAttributes(shadow: string): Promise<void> {
  const path = join(shadow, 'info', 'attributes');
  if ((await readFile(path, 'utf8').catch(() => '')) === NEUTRALISE_EXPORT_ATTRIBUTES) return;
  const staging = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  await writeFile(staging, NEUTRALISE_EXPORT_ATTRIBUTES);
  await rename(staging, path);
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then((stats) => stats.isDirectory(), () => false);
}
