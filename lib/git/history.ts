/**
 * The commit-graph questions pseudo-versions raise, answered by git itself (it has the
 * commit-graph and reachability bitmaps; walking history in-process would not be faster).
 */
import { GitError, runGit, type GitRunOptions } from './run.ts';
import { isFullObjectId } from './object-id.ts';

/**
 * Whether `ancestor` is `descendant` or one of its ancestors (`git merge-base --is-ancestor`,
 * as `coderepo.go` `validatePseudoVersion` checks the base tag). Both are full commit ids.
 */
export async function isAncestor(gitDir: string, ancestor: string, descendant: string, options?: GitRunOptions): Promise<boolean> {
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
 * `codehost/git.go` `RecentTag`: `git for-each-ref --format %(refname) --merged <rev> refs/tags`.
 */
export async function tagsReachableFrom(gitDir: string, commit: string, options?: GitRunOptions): Promise<string[]> {
  const args = ['for-each-ref', '--format=%(refname)', `--merged=${fullOid(commit)}`, '--end-of-options', 'refs/tags'];
  return refNames(await runGit(gitDir, args, options), 'refs/tags/');
}

/**
 * Whether `commit` is reachable from some branch or tag. The go command fetches only
 * `refs/heads/*` and `refs/tags/*` in direct mode (`codehost/git.go` `fetchRefsLocked`), so a
 * commit reachable only from other refs (merge-request heads, notes) is an unknown revision there.
 */
export async function isReachableFromBranchesOrTags(gitDir: string, commit: string, options?: GitRunOptions): Promise<boolean> {
  const args = ['for-each-ref', '--count=1', '--format=%(refname)', `--contains=${fullOid(commit)}`, '--end-of-options', 'refs/heads', 'refs/tags'];
  return (await runGit(gitDir, args, options)).length > 0;
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
