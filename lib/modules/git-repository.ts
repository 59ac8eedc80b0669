/**
 * One served repository: its long-lived object reader, its in-process refs, and the `CodeHost`
 * view of them that the module resolver works with.
 */
import type { CodeHost, HexResolution } from './module-repo.ts';
import { isAncestor, objectsWithPrefix, Reachability, tagsReachableFrom } from '../git/history.ts';
import type { Limiter } from '../git/limiter.ts';
import type { HelperPool } from '../git/helper-pool.ts';
import { ObjectReader, ObjectTooLargeError } from '../git/objects.ts';
import { notFound } from '../common/errors.ts';
import { ImmutableCache } from '../common/immutable-cache.ts';
import { type Refs, RefStore } from '../git/refs.ts';
import { MAX_GO_MOD } from './gomod.ts';
import { isFullObjectId } from '../git/object-id.ts';
import { hasOwnObject } from '../git/own-objects.ts';
import { GitError, runGit } from '../git/run.ts';

export class GitRepository {
  readonly gitDir: string;
  readonly objects: ObjectReader;
  readonly refs: RefStore;
  readonly codeHost: CodeHost;

  readonly #reachability: Reachability;
  readonly #limiter: Limiter;

  /** `helpers` bounds the object readers' cat-file processes together with other repositories'. */
  constructor(gitDir: string, limiter: Limiter, helpers?: HelperPool) {
    this.gitDir = gitDir;
    this.#limiter = limiter;
    this.#reachability = new Reachability(gitDir, { limiter });
    this.objects = new ObjectReader(gitDir, { pool: helpers });
    this.refs = new RefStore(gitDir, this.objects);
    const objects = this.objects;
    // What a full object id names never changes: commit times and go.mod blobs are kept, so
    // .info/.mod/@latest answers cost no cat-file round trip once seen. A commit that is missing
    // may be pushed later, so "no such commit" is not kept; a file missing at a commit is.
    const commitTimes = new ImmutableCache<Date | undefined>({
      maxEntries: 10_000,
      keep: (time) => time !== undefined,
    });
    const files = new ImmutableCache<Uint8Array | undefined>({
      maxEntries: 10_000,
      maxWeight: 32 << 20,
      weigh: (data) => 64 + (data?.length ?? 0),
    });
    const readFile = async (commit: string, path: string): Promise<Uint8Array | undefined> => {
      try {
        return await objects.readBlobAt(commit, path, MAX_GO_MOD);
      } catch (error) {
        if (error instanceof ObjectTooLargeError) throw notFound(`${path} at ${commit} is larger than 16 MiB`);
        throw error;
      }
    };
    this.codeHost = {
      refs: (): Promise<Refs> => this.refs.read(),
      commitTime: (oid) =>
        cachedByOid(commitTimes, oid, oid, async () => (await objects.readCommit(oid))?.committerTime),
      readFile: (commit, path) => cachedByOid(files, commit, `${commit}:${path}`, () => readFile(commit, path)),
      resolveHexPrefix: (hex, refs) => this.#resolveReachableHex(hex, refs),
      isAncestor: (ancestor, descendant) => isAncestor(gitDir, ancestor, descendant, { limiter }),
      tagsReachableFrom: (commit, tagPrefix) => tagsReachableFrom(gitDir, commit, tagPrefix, { limiter }),
    };
  }

  /**
   * The commit a hex prefix names among the commits `refs` reach, as the go command's own clone
   * (heads, tags and HEAD only) would find it: an object outside them, a deleted branch's commit, a
   * merge request's, or one borrowed through `objects/info/alternates`, is unknown, and does not make
   * a prefix ambiguous either.
   */
  async #resolveReachableHex(hex: string, refs: Refs): Promise<HexResolution | undefined> {
    const found = await this.objects.resolveRevisionPrefix(hex);
    if (found === undefined) return undefined;
    if ('oid' in found) return (await this.#reachability.reachable(found.oid, refs)) ? found : undefined;
    const candidates = await objectsWithPrefix(this.gitDir, hex, { limiter: this.#limiter });
    const commits: string[] = [];
    for (const oid of candidates) {
      if (
        (await this.objects.readObjectInfo(oid))?.type === 'commit' && (await this.#reachability.reachable(oid, refs))
      ) commits.push(oid);
    }
    if (commits.length > 1) return { ambiguous: true };
    return commits.length === 1 ? { oid: commits[0] } : undefined;
  }

  /**
   * Whether a commit is in this repository's own history: reached by its refs (HEAD, heads, tags),
   * or still in its own object store (a tag moved or deleted, not yet pruned by `git gc`). A commit
   * found only through `objects/info/alternates` (another repository's objects) is not.
   */
  async ownsCommit(commit: string): Promise<boolean> {
    if (await hasOwnObject(this.gitDir, commit)) return true;
    // Not its own object: a pool's (the repository's refs reach it), another's, or gone. Asked of a
    // fresh git process: a long-lived cat-file started before a `git gc` may still read a deleted pack.
    if (!(await commitExists(this.gitDir, commit, this.#limiter))) return false;
    return this.#reachability.reachable(commit, await this.refs.read());
  }

  close(): Promise<void> {
    return this.objects.close();
  }
}

/** Whether a commit can be read in the repository, through its alternates too. */
async function commitExists(gitDir: string, commit: string, limiter: Limiter): Promise<boolean> {
  try {
    await runGit(gitDir, ['cat-file', '-e', '--end-of-options', `${commit}^{commit}`], { limiter });
    return true;
  } catch (error) {
    if (error instanceof GitError && (error.exitCode === 1 || error.exitCode === 128)) return false;
    throw error;
  }
}

/** Looks `key` up in `cache` when `oid` is a full object id (whose content is fixed), else computes. */
function cachedByOid<V>(cache: ImmutableCache<V>, oid: string, key: string, compute: () => Promise<V>): Promise<V> {
  return isFullObjectId(oid) ? cache.get(key, compute) : compute();
}
