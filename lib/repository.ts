/**
 * One served repository: its long-lived object reader, its in-process refs, and the `CodeHost`
 * view of them that the module resolver works with.
 */
import type { CodeHost, Refs } from './modules.ts';
import { isAncestor, tagsReachableFrom } from './git/history.ts';
import type { Limiter } from './git/limiter.ts';
import { ObjectReader, ObjectTooLargeError } from './git/objects.ts';
import { notFound } from './errors.ts';
import { RefStore } from './git/refs.ts';

/** go.mod files over this size make the version invalid (`codehost.MaxGoMod`). */
const MAX_GO_MOD = 16 << 20;

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
    this.codeHost = {
      refs: (): Promise<Refs> => this.refs.read(),
      commitTime: async (oid) => (await objects.readCommit(oid))?.committerTime,
      readFile: async (commit, path) => {
        try {
          return await objects.readBlobAt(commit, path, MAX_GO_MOD);
        } catch (error) {
          if (error instanceof ObjectTooLargeError) throw notFound(`${path} at ${commit} is larger than 16 MiB`);
          throw error;
        }
      },
      resolveHexPrefix: (hex) => objects.resolveRevisionPrefix(hex),
      isAncestor: (ancestor, descendant) => isAncestor(gitDir, ancestor, descendant, { limiter }),
      tagsReachableFrom: (commit) => tagsReachableFrom(gitDir, commit, { limiter }),
    };
  }

  close(): Promise<void> {
    return this.objects.close();
  }
}
