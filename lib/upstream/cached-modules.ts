/**
 * What the upstream cache holds, by module, for the web pages: the cache names its files by hashes
 * (zip/cache.ts), so this index keeps, for each file of a module version it holds (`.info`, `.mod`,
 * `.zip`), the module and version the hash was made from.
 *
 * - **Bounded.** At most `maxFiles` files are indexed; past that the oldest entries leave the index
 *   (their files stay in the cache, and are indexed again when next served). Module paths are kept
 *   sorted as they come and go, so a page is a slice: nothing a request does grows with the cache.
 * - **Kept beside the cache.** Each file indexed is appended to a journal of JSON lines
 *   (`<dataDir>/upstream/modules.jsonl`); at start the journal is read back and each entry whose
 *   file the cache still holds is taken (the rest are dropped: the cache let them go meanwhile), and
 *   the journal is written again with those only. It is written again likewise whenever it has
 *   grown to twice the bound. A file the cache holds that no journal line names (one kept before
 *   this index, or one a `--workers` sibling stored) is indexed when it is next served.
 * - A file leaves the index when the cache lets it go (`removed`).
 */
import { readFileSync } from 'node:fs';
import { appendFile, rename, writeFile } from 'node:fs/promises';
import { logger } from '../common/log.ts';
import * as semver from '../modules/semver.ts';

/** A module version's file the cache may hold. */
export type CachedFile = 'info' | 'mod' | 'zip';

/** One file of the index. */
export interface CachedEntry {
  readonly module: string;
  readonly version: string;
  readonly file: CachedFile;
}

/** A module with versions in the cache: each version newest first, with the files held. */
export interface CachedModule {
  readonly modulePath: string;
  readonly versions: ReadonlyArray<{ readonly version: string; readonly files: readonly CachedFile[] }>;
}

/** A page of the cached modules, in module path order. */
export interface CachedModulesPage {
  /** How many modules the index holds. */
  readonly total: number;
  readonly modules: readonly CachedModule[];
}

export interface CachedModulesOptions {
  /** The journal file. */
  readonly journal: string;
  /** Most files indexed. */
  readonly maxFiles: number;
  /** The cache key of an entry's file. */
  readonly keyOf: (entry: CachedEntry) => string;
  /** Whether the cache holds the file of a key now. */
  readonly holds: (key: string) => boolean;
}

const FILES: readonly CachedFile[] = ['info', 'mod', 'zip'];

export class CachedModules {
  readonly #options: CachedModulesOptions;
  /** Every indexed file by cache key, oldest first (the bound drops from the front). */
  readonly #files = new Map<string, CachedEntry>();
  /** module → version → the files held. */
  readonly #modules = new Map<string, Map<string, Set<CachedFile>>>();
  /** The keys of `#modules`, sorted. */
  readonly #sorted: string[] = [];
  /** Lines in the journal now. */
  #journalLines = 0;
  /** Journal writes, in order. */
  #writing: Promise<void> = Promise.resolve();

  constructor(options: CachedModulesOptions) {
    this.#options = options;
    for (const entry of readJournal(options.journal)) {
      const key = options.keyOf(entry);
      if (options.holds(key)) this.#add(key, entry);
    }
    this.#rewrite();
  }

  /** Notes a file the cache holds now (`key` is its cache key). */
  add(key: string, entry: CachedEntry): void {
    if (this.#files.has(key)) return;
    this.#add(key, entry);
    if (++this.#journalLines > 2 * this.#options.maxFiles) return this.#rewrite();
    this.#write(() => appendFile(this.#options.journal, `${JSON.stringify(entry)}\n`));
  }

  /** Forgets the file of a key the cache let go (a key it does not index is ignored). */
  removed(key: string): void {
    const entry = this.#files.get(key);
    if (entry === undefined) return;
    this.#files.delete(key);
    const versions = this.#modules.get(entry.module)!;
    const files = versions.get(entry.version)!;
    files.delete(entry.file);
    if (files.size > 0) return;
    versions.delete(entry.version);
    if (versions.size > 0) return;
    this.#modules.delete(entry.module);
    this.#sorted.splice(sortedIndex(this.#sorted, entry.module), 1);
  }

  /** The modules `[start, start + count)` in path order, each with its versions newest first. */
  page(start: number, count: number): CachedModulesPage {
    const modules = this.#sorted.slice(start, start + count).map((modulePath) => {
      const versions = [...this.#modules.get(modulePath)!].sort(([a], [b]) => semver.compare(b, a));
      return {
        modulePath,
        versions: versions.map(([version, files]) => ({ version, files: FILES.filter((file) => files.has(file)) })),
      };
    });
    return { total: this.#sorted.length, modules };
  }

  /** Resolves once the journal writes asked for so far are done. */
  flushed(): Promise<void> {
    return this.#writing;
  }

  #add(key: string, entry: CachedEntry): void {
    if (this.#files.size >= this.#options.maxFiles) this.removed(this.#files.keys().next().value!);
    this.#files.set(key, entry);
    let versions = this.#modules.get(entry.module);
    if (versions === undefined) {
      versions = new Map();
      this.#modules.set(entry.module, versions);
      this.#sorted.splice(sortedIndex(this.#sorted, entry.module), 0, entry.module);
    }
    let files = versions.get(entry.version);
    if (files === undefined) {
      files = new Set();
      versions.set(entry.version, files);
    }
    files.add(entry.file);
  }

  /** Writes the journal again with the indexed files only (to a new file, then renamed over it). */
  #rewrite(): void {
    const lines = [...this.#files.values()].map((entry) => `${JSON.stringify(entry)}\n`).join('');
    this.#journalLines = this.#files.size;
    const next = `${this.#options.journal}.${process.pid}.new`;
    this.#write(async () => {
      await writeFile(next, lines);
      await rename(next, this.#options.journal);
    });
  }

  /** Queues a journal write; a failure is logged (the index in memory stays right, the next start knows less). */
  #write(write: () => Promise<void>): void {
    this.#writing = this.#writing.then(write).catch((error: unknown) =>
      logger.warn('the upstream cache index could not be written', { file: this.#options.journal, error })
    );
  }
}

/** The entries of a journal, in order; an absent journal is empty, a line that is not an entry is skipped. */
function readJournal(path: string): CachedEntry[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').flatMap((line) => {
    try {
      const entry = JSON.parse(line) as Partial<CachedEntry>;
      const valid = typeof entry.module === 'string' && typeof entry.version === 'string' &&
        FILES.includes(entry.file as CachedFile);
      return valid ? [{ module: entry.module!, version: entry.version!, file: entry.file! }] : [];
    } catch {
      return [];
    }
  });
}

/** Where `item` is, or would go, in a sorted array (binary search). */
function sortedIndex(sorted: readonly string[], item: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle]! < item) low = middle + 1;
    else high = middle;
  }
  return low;
}
