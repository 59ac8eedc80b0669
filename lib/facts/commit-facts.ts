/**
 * What the web pages show of a version, worked out once per commit and module directory and kept
 * (bounded), so that a page view costs no git process and no work in proportion to the repository:
 * the files of its zip with their sizes and what is left out (one listing of the tree, planned in
 * slices), and its go.mod cut to what a page shows. A pure function of the commit, whatever the
 * version is called or who asks: the access check happens before (the caller's module target).
 */
import { ImmutableCache } from '../common/immutable-cache.ts';
import type { ModuleVersion } from '../modules/module-repo.ts';
import { describeModuleZip, type LayoutOptions, type ZipContents } from '../zip/source.ts';

/** What a page shows of a commit's module directory. */
export interface CommitFacts {
  /** The zip's files and sizes, what it leaves out, or why it is refused. */
  readonly contents: ZipContents;
}

/** Bounds of the kept facts. */
export interface CommitFactsOptions {
  /** Most commits kept. */
  readonly maxEntries: number;
  /** Most files listed over all kept commits (about 100 bytes each). */
  readonly maxFiles: number;
}

const DEFAULTS: CommitFactsOptions = { maxEntries: 500, maxFiles: 500_000 };

export class CommitFactsCache {
  readonly #kept: ImmutableCache<CommitFacts>;

  constructor(options: CommitFactsOptions = DEFAULTS) {
    this.#kept = new ImmutableCache<CommitFacts>({ ...options, maxWeight: options.maxFiles, weigh: weightOf });
  }

  /** The facts of a version's commit and directory: derived on the first ask, shared by concurrent ones. */
  of(version: ModuleVersion, source: LayoutOptions): Promise<CommitFacts> {
    return this.#kept.get(`${version.commit}\0${version.dir}`, async () => ({
      contents: await describeModuleZip(version, source),
    }));
  }
}

function weightOf(facts: CommitFacts): number {
  return 1 + facts.contents.files.length + facts.contents.omitted.length;
}

/** The start of a go.mod that a page shows: up to `limit` bytes, cut at a line's end. */
export interface GoModExcerpt {
  readonly text: string;
  /** Whether the go.mod goes on past `text`. */
  readonly truncated: boolean;
  /** The whole go.mod's size in bytes. */
  readonly size: number;
}

/** Bytes of a go.mod a page shows; the rest is a link to `.mod`. */
export const GO_MOD_EXCERPT_BYTES = 32 * 1024;

const decoder = new TextDecoder();

/** The first `GO_MOD_EXCERPT_BYTES` of a go.mod (whole lines), without reading the rest. */
export function goModExcerpt(goMod: Uint8Array, limit = GO_MOD_EXCERPT_BYTES): GoModExcerpt {
  if (goMod.length <= limit) return { text: decoder.decode(goMod), truncated: false, size: goMod.length };
  const head = goMod.subarray(0, limit);
  const lastNewline = head.lastIndexOf(0x0a);
  const text = decoder.decode(lastNewline < 0 ? head : head.subarray(0, lastNewline + 1));
  return { text, truncated: true, size: goMod.length };
}
