/**
 * The commit-graph questions pseudo-versions and queries by hash raise, answered by git itself (it
 * has the commit-graph and reachability bitmaps; walking history in-process would not be faster).
 */
import type { Refs } from './refs.ts';
import { GitError, type GitRunOptions, runGit } from './run.ts';
import { isFullObjectId } from './object-id.ts';
import { ImmutableCache } from '../common/immutable-cache.ts';

/**
 * Whether `ancestor` is `descendant` or one of its ancestors (`git merge-base --is-ancestor`,
 * as `coderepo.go` `validatePseudoVersion` checks the base tag). Both are full commit ids.
 */
export async function isAncestor(
  gitDir: string,
  ancestor: string,
  descendant: string,
  options?: GitRunOptions,
): Promise<boolean> {
  const args = ['merge-base', '--is-ancestor', '--end-of-options', fullOid(ancestor), fullOid(descendant)];
  try {
    await runGit(gitDir, args, options);
    return true;
  } catch (error) {
    if (error instanceof GitError && error.exitCode === 1) return false;
    throw error;
  }
}

/**
 * Names (without `refs/tags/`) of the tags whose commits are reachable from `commit`, itself
 * included: the candidates for a pseudo-version's base. Same command as the go command's
 * `codehost/git.go` `RecentTag`: `git for-each-ref --format %(refname) --merged <rev> refs/tags/<prefix>`,
 * where `tagPrefix` is '' or a module directory ending in `/` (a pattern ending in `/` matches the
 * refs below it).
 */
export async function tagsReachableFrom(
  gitDir: string,
  commit: string,
  tagPrefix = '',
  options?: GitRunOptions,
): Promise<string[]> {
  if (tagPrefix !== '' && !tagPrefix.endsWith('/')) {
    throw new TypeError(`not a tag directory: ${JSON.stringify(tagPrefix)}`);
  }
  const args = [
    'for-each-ref',
    '--format=%(refname)',
    `--merged=${fullOid(commit)}`,
    '--end-of-options',
    `refs/tags/${tagPrefix}`,
  ];
  return refNames(await runGit(gitDir, args, options), 'refs/tags/');
}

/**
 * Whether `commit` is one of `tips` or an ancestor of one: `git rev-list <commit> --not <tips…>`
 * prints nothing exactly then. The tips go in on stdin (a repository may have thousands of tags);
 * git walks only down from them to the commit's date, through the commit-graph when there is one.
 */
export async function isReachableFrom(
  gitDir: string,
  commit: string,
  tips: Iterable<string>,
  options?: GitRunOptions,
): Promise<boolean> {
  const negated = [...tips].map((tip) => `^${fullOid(tip)}\n`);
  if (negated.length === 0) return false;
  const input = Buffer.from(`${fullOid(commit)}\n${negated.join('')}`);
  const output = await runGit(gitDir, ['rev-list', '--max-count=1', '--stdin'], { ...options, input, maxBytes: 1024 });
  return output.length === 0;
}

/** Every object whose id starts with `hex` (4 to 64 hex digits), whatever its type: `git rev-parse --disambiguate`. */
export async function objectsWithPrefix(gitDir: string, hex: string, options?: GitRunOptions): Promise<string[]> {
  if (!/^[0-9a-f]{4,64}$/.test(hex)) throw new TypeError(`not a hex prefix: ${JSON.stringify(hex)}`);
  const output = await runGit(gitDir, ['rev-parse', `--disambiguate=${hex}`], {
    ...options,
    maxBytes: MAX_PREFIX_MATCHES * 65,
  });
  return output.toString('utf8').split('\n').filter(isFullObjectId);
}

/** Most objects a prefix may match before the answer is cut short (a 7-digit prefix matches a handful). */
const MAX_PREFIX_MATCHES = 256;

/**
 * Which commits a repository's own refs reach, for one set of ref tips at a time: a query by hash
 * costs one `git rev-list` the first time and nothing after, and a push that moves a ref starts
 * over. At most `maxAnswers` commits are remembered per set of tips.
 */
export class Reachability {
  readonly #gitDir: string;
  readonly #options: GitRunOptions;
  readonly #maxAnswers: number;
  #refs: Refs | undefined;
  #tips = new Set<string>();
  #answers: ImmutableCache<boolean>;

  constructor(gitDir: string, options: GitRunOptions = {}, maxAnswers = 4096) {
    this.#gitDir = gitDir;
    this.#options = options;
    this.#maxAnswers = maxAnswers;
    this.#answers = new ImmutableCache({ maxEntries: maxAnswers });
  }

  /** Whether `commit` is HEAD's commit, a branch's or tag's, or an ancestor of one of them, in `refs`. */
  reachable(commit: string, refs: Refs): Promise<boolean> {
    if (refs !== this.#refs) this.#startSnapshot(refs);
    if (this.#tips.has(commit)) return Promise.resolve(true);
    return this.#answers.get(commit, () => isReachableFrom(this.#gitDir, commit, this.#tips, this.#options));
  }

  /**
   * Takes `refs` as the current snapshot. A fresh read of refs that point where they did (the ref
   * store rereads recently written ref files) keeps the answers: they depend only on the tips.
   */
  #startSnapshot(refs: Refs): void {
    this.#refs = refs;
    const tips = new Set([
      ...refs.branches.values(),
      ...refs.tags.values(),
      ...(refs.headCommit === undefined ? [] : [refs.headCommit]),
    ]);
    if (tips.size === this.#tips.size && [...tips].every((tip) => this.#tips.has(tip))) return;
    this.#tips = tips;
    this.#answers = new ImmutableCache({ maxEntries: this.#maxAnswers });
  }
}

function refNames(output: Buffer, prefix: string): string[] {
  return output
    .toString('utf8')
    .split('\n')
    .filter((line) => line.startsWith(prefix))
    .map((line) => line.slice(prefix.length));
}

function fullOid(oid: string): string {
  if (!isFullObjectId(oid)) throw new TypeError(`not a full commit id: ${JSON.stringify(oid)}`);
  return oid;
}
