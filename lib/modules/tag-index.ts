/**
 * A ref snapshot's tags, grouped once by the module directory they version, and the answers derived
 * from them, kept as long as the snapshot (git/refs.ts returns the same `Refs` object until the refs
 * change).
 *
 * A module's tags are `<dir>/vX.Y.Z` (`vX.Y.Z` at the root): a version never holds a `/`, so the tags
 * of a module directory are exactly those whose name up to the last `/` is that directory. A
 * request then costs what the module's own tags cost, not what all the repository's refs do: a
 * monorepo of 200 modules × 100 tags answers `list` of one module from its 100.
 */
import type { Refs } from '../git/refs.ts';
import { ImmutableCache } from '../common/immutable-cache.ts';

/** A tag of a module directory: its full name, the part after the directory, and its commit. */
export interface DirectoryTag {
  readonly name: string;
  readonly version: string;
  readonly commit: string;
}

/** Most derived answers kept per snapshot (per module: its list, its pseudo-version bases). */
const MAX_ANSWERS = 4096;

const indexes = new WeakMap<Refs, TagIndex>();

export class TagIndex {
  readonly #byDirectory = new Map<string, DirectoryTag[]>();
  readonly #tags: ReadonlyMap<string, string>;
  #byCommit: Map<string, string[]> | undefined;
  readonly #answers = new ImmutableCache<unknown>({ maxEntries: MAX_ANSWERS });

  /** The index of `refs`, built on first use and kept with the snapshot. */
  static of(refs: Refs): TagIndex {
    let index = indexes.get(refs);
    if (index === undefined) {
      index = new TagIndex(refs.tags);
      indexes.set(refs, index);
    }
    return index;
  }

  private constructor(tags: ReadonlyMap<string, string>) {
    this.#tags = tags;
    for (const [name, commit] of tags) {
      const slash = name.lastIndexOf('/');
      const prefix = name.slice(0, slash + 1);
      let group = this.#byDirectory.get(prefix);
      if (group === undefined) this.#byDirectory.set(prefix, group = []);
      group.push({ name, version: name.slice(slash + 1), commit });
    }
    for (const group of this.#byDirectory.values()) {
      group.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    }
  }

  /** The tags named `<tagPrefix><version>` with no further `/`, sorted by name (`tagPrefix` is '' or ends in `/`). */
  tagsIn(tagPrefix: string): readonly DirectoryTag[] {
    return this.#byDirectory.get(tagPrefix) ?? [];
  }

  /** The names of every tag on `commit`, sorted. */
  tagsOn(commit: string): readonly string[] {
    if (this.#byCommit === undefined) {
      this.#byCommit = new Map();
      for (const [name, target] of this.#tags) {
        const names = this.#byCommit.get(target);
        if (names === undefined) this.#byCommit.set(target, [name]);
        else names.push(name);
      }
      for (const names of this.#byCommit.values()) names.sort();
    }
    return this.#byCommit.get(commit) ?? [];
  }

  /**
   * The answer kept under `key` for this snapshot, computed once (concurrent askers share it); a
   * failed computation is forgotten, so that a passing fault is not kept.
   */
  answer<T>(key: string, compute: () => Promise<T>): Promise<T> {
    return this.#answers.get(key, compute) as Promise<T>;
  }
}
