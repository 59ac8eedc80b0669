/**
 * What the web pages show of a version, worked out once per commit and module directory and kept
 * (bounded), so that a page view costs no git process and no work in proportion to the repository:
 * the files of its zip with their sizes and what is left out (one listing of the tree, planned in
 * slices), its README rendered, its licenses, and its go.mod cut to what a page shows. A pure
 * function of the commit, whatever the version is called or who asks: the access check happens
 * before (the caller's module target).
 */
import { ImmutableCache } from '../common/immutable-cache.ts';
import { ObjectTooLargeError } from '../git/objects.ts';
import type { ModuleVersion } from '../modules/module-repo.ts';
import { describeModuleZip, type LayoutOptions, type ZipContents } from '../zip/source.ts';
import { detectLicense } from './license.ts';
import { MAX_README_BYTES, pickReadme, type Readme, renderReadme } from './readme.ts';

/** What a page shows of a commit's module directory. */
export interface CommitFacts {
  /** The zip's files and sizes, what it leaves out, or why it is refused. */
  readonly contents: ZipContents;
  /** The README, rendered; or its path and size when it is too large to render; undefined without one. */
  readonly readme: Readme | { readonly path: string; readonly size: number } | undefined;
}

/** A license file of a module's root, and the license it holds (an SPDX identifier, or `unknown`). */
export interface LicenseFact {
  readonly path: string;
  readonly id: string;
}

/** The names looked up for license files at a module's root, as pkgsite and the go command name them. */
const LICENSE_NAMES = [
  'LICENSE',
  'LICENSE.md',
  'LICENSE.txt',
  'LICENCE',
  'LICENCE.md',
  'COPYING',
  'COPYING.md',
  'COPYING.txt',
  'COPYING.LESSER',
  'LICENSE-APACHE',
  'LICENSE-MIT',
];

/** Largest license file read. */
const MAX_LICENSE_BYTES = 1 << 20;

/** Bounds of the kept facts. */
export interface CommitFactsOptions {
  /** Most commits kept. */
  readonly maxEntries: number;
  /** Most files listed over all kept commits (about 100 bytes each). */
  readonly maxFiles: number;
}

const decoder = new TextDecoder();

const DEFAULTS: CommitFactsOptions = { maxEntries: 500, maxFiles: 500_000 };

export class CommitFactsCache {
  readonly #kept: ImmutableCache<CommitFacts>;
  /** The licenses at each commit's module root (a few object lookups, no listing). */
  readonly #licenses = new ImmutableCache<readonly LicenseFact[]>({ maxEntries: 20_000, maxWeight: 20_000 });
  /** The license each license blob holds, by object id. */
  readonly #licenseTexts = new ImmutableCache<string>({ maxEntries: 5_000, maxWeight: 5_000 });

  constructor(options: CommitFactsOptions = DEFAULTS) {
    this.#kept = new ImmutableCache<CommitFacts>({ ...options, maxWeight: options.maxFiles, weigh: weightOf });
  }

  /** The facts of a version's commit and directory: derived on the first ask, shared by concurrent ones. */
  of(version: ModuleVersion, source: LayoutOptions): Promise<CommitFacts> {
    return this.#kept.get(`${version.commit}\0${version.dir}`, () => derive(version, source));
  }

  /**
   * The license files at a version's module root (a subdirectory module without one of its own
   * inherits the repository root's LICENSE, as its zip does), each with the license it holds.
   */
  licenses(version: ModuleVersion, source: Pick<LayoutOptions, 'objects'>): Promise<readonly LicenseFact[]> {
    return this.#licenses.get(`${version.commit}\0${version.dir}`, async () => {
      const found: LicenseFact[] = [];
      for (const name of LICENSE_NAMES) {
        const own = await source.objects.readObjectInfoAt(version.commit, join(version.dir, name));
        const info = own ??
          (name === 'LICENSE' && version.dir !== ''
            ? await source.objects.readObjectInfoAt(version.commit, name)
            : undefined);
        if (info?.type !== 'blob') continue;
        found.push({ path: name, id: await this.#licenseText(info.oid, source) });
      }
      return found;
    });
  }

  /** A file of a version's zip (a path `of` lists), or undefined when it is not one; at most `maxBytes`. */
  async file(
    version: ModuleVersion,
    source: LayoutOptions,
    path: string,
    maxBytes: number,
  ): Promise<Uint8Array | undefined> {
    const { contents } = await this.of(version, source);
    if (!contents.files.some((file) => file.path === path)) return undefined;
    const inherited = path === 'LICENSE' && contents.inheritedLicense;
    return source.objects.readBlobAt(version.commit, inherited ? path : join(version.dir, path), maxBytes);
  }

  #licenseText(oid: string, source: Pick<LayoutOptions, 'objects'>): Promise<string> {
    return this.#licenseTexts.get(oid, async () => {
      try {
        const blob = await source.objects.readObject(oid, MAX_LICENSE_BYTES);
        return blob === undefined ? 'unknown' : await detectLicense(decoder.decode(blob.data));
      } catch (error) {
        if (error instanceof ObjectTooLargeError) return 'unknown';
        throw error;
      }
    });
  }
}

/** `dir/name`, or `name` at the repository root. */
function join(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

async function derive(version: ModuleVersion, source: LayoutOptions): Promise<CommitFacts> {
  const contents = await describeModuleZip(version, source);
  const files = new Set(contents.files.map((file) => file.path));
  const readmePath = pickReadme([...files].filter((path) => !path.includes('/')));
  return { contents, readme: readmePath === undefined ? undefined : await readme(version, source, readmePath, files) };
}

async function readme(
  version: ModuleVersion,
  source: LayoutOptions,
  path: string,
  files: ReadonlySet<string>,
): Promise<CommitFacts['readme']> {
  try {
    const blob = await source.objects.readBlobAt(version.commit, join(version.dir, path), MAX_README_BYTES);
    return blob === undefined ? undefined : renderReadme(path, decoder.decode(blob), (file) => files.has(file));
  } catch (error) {
    if (error instanceof ObjectTooLargeError) return { path, size: error.size };
    throw error;
  }
}

function weightOf(facts: CommitFacts): number {
  const readmeWeight = facts.readme !== undefined && 'html' in facts.readme ? facts.readme.html.length >> 7 : 0;
  return 1 + facts.contents.files.length + facts.contents.omitted.length + readmeWeight;
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

/** The first `GO_MOD_EXCERPT_BYTES` of a go.mod (whole lines), without reading the rest. */
export function goModExcerpt(goMod: Uint8Array, limit = GO_MOD_EXCERPT_BYTES): GoModExcerpt {
  if (goMod.length <= limit) return { text: decoder.decode(goMod), truncated: false, size: goMod.length };
  const head = goMod.subarray(0, limit);
  const lastNewline = head.lastIndexOf(0x0a);
  const text = decoder.decode(lastNewline < 0 ? head : head.subarray(0, lastNewline + 1));
  return { text, truncated: true, size: goMod.length };
}
