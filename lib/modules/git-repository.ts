/**
 * One served repository: its long-lived object reader, its in-process refs, and the `CodeHost`
 * view of them that the module resolver works with.
 */
import type { CodeHost } from './module-repo.ts';
import { isAncestor, tagsReachableFrom } from '../git/history.ts';
import type { Limiter } from '../git/limiter.ts';
import { ObjectReader, ObjectTooLargeError } from '../git/objects.ts';
import { notFound } from '../common/errors.ts';
import { ImmutableCache } from '../common/immutable-cache.ts';
import { RefStore, type Refs } from '../git/refs.ts';
import { MAX_GO_MOD } from './gomod.ts';
import { isFullObjectId } from '../git/object-id.ts';

export class GitRepository {
  readonly gitDir: string;
  readonly objects: ObjectReader;
  readonly refs: RefStore;
  readonly codeHost: CodeHost;

  constructor(gitDir: string, limiter: Limiter) {
    this.gitDir = gitDir;
    this.objects = new ObjectReader(gitDir);
    this.refs = new RefStore(gitDir, this.objects);
    const objects = this.objects;
    // What a full object id names never changes: commit times and go.mod blobs are kept, so
    // .info/.mod/@latest answers cost no cat-file round trip once seen. A commit that is missing
    // may be pushed later, so "no such commit" is not kept; a file missing at a commit is.
    const commitTimes = new ImmutableCache<Date | undefined>({ maxEntries: 10_000, maxWeight: 10_000, keep: (time) => time !== undefined });
    const files = new ImmutableCache<Uint8Array | undefined>({ maxEntries: 10_000, maxWeight: 32 << 20, weigh: (data) => 64 + (data?.length ?? 0) });
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
      commitTime: (oid) => cachedByOid(commitTimes, oid, oid, async () => (await objects.readCommit(oid))?.committerTime),
      readFile: (commit, path) => cachedByOid(files, commit, `${commit}:${path}`, () => readFile(commit, path)),
      resolveHexPrefix: (hex) => objects.resolveRevisionPrefix(hex),
      isAncestor: (ancestor, descendant) => isAncestor(gitDir, ancestor, descendant, { limiter }),
      tagsReachableFrom: (commit) => tagsReachableFrom(gitDir, commit, { limiter }),
    };
  }

  close(): Promise<void> {
    return this.objects.close();
  }
}

/** Looks `key` up in `cache` when `oid` is a full object id (whose content is fixed), else computes. */
function cachedByOid<V>(cache: ImmutableCache<V>, oid: string, key: string, compute: () => Promise<V>): Promise<V> {
  return isFullObjectId(oid) ? cache.get(key, compute) : compute();
}
