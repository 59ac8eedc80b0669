/**
 * The zip of a module version, from the repository to the first byte: list the module's files
 * (`git ls-tree`, no blob read), decide with the go command's rules what goes in or makes the whole
 * zip an error (once per commit and directory: see `ZipLayout`), then stream `git archive` (one, or
 * several over parts of a large module) through the module-zip transform. Everything that can
 * refuse the version happens before the caller sends a status line.
 */
import type { ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { notFound } from '../common/errors.ts';
import type { CompressionLevel, ShadowRepos } from '../git/archive.ts';
import type { Limiter, Release } from '../git/limiter.ts';
import { gitExit } from '../git/run.ts';
import { ObjectTooLargeError, type ObjectReader } from '../git/objects.ts';
import { listTree } from '../git/tree.ts';
import type { ImmutableCache } from '../common/immutable-cache.ts';
import type { ModuleVersion } from '../modules/module-repo.ts';
import { moduleZip } from './module-zip.ts';
import { partitionFiles } from './partition.ts';
import { inheritedLicense, MAX_LICENSE, planModuleZip, type OmittedFile, type TreeFile, type ZipPlan } from './rules.ts';
import { goDirective } from '../modules/gomod.ts';

/**
 * Version of the bytes this server writes for a module zip (entry order, headers, rules). Bump it
 * when a change makes the zip of the same commit come out different, so caches drop old copies.
 * 2: large zips at deflate levels are made by several git archives, in an interleaved entry order.
 */
export const ZIP_FORMAT_VERSION = 2;

/** What besides the commit, module and version fixes a zip's bytes. */
export function zipFormat(compression: CompressionLevel): string {
  return `zip${ZIP_FORMAT_VERSION}-${compression}`;
}

export interface ModuleZipStream {
  /** The zip, chunk by chunk; throws if git or the archive fails part-way. */
  readonly chunks: AsyncIterable<Uint8Array>;
  /** Stops git without reading the zip (for HEAD). */
  cancel(): void;
}

export interface ZipSourceOptions {
  readonly gitDir: string;
  readonly objects: ObjectReader;
  readonly shadows: ShadowRepos;
  readonly limiter: Limiter;
  readonly level: CompressionLevel;
  readonly signal: AbortSignal;
  /** Receives each file's SHA-256 as it streams, for an `h1:` hash. */
  readonly onFileDigest?: (name: string, sha256Hex: string) => void;
  /** Where zip layouts are kept between requests (see `ZipLayout`); planned every time without. */
  readonly layouts?: ImmutableCache<ZipLayout>;
}

const decoder = new TextDecoder();
/** Below this many bytes of files a zip is made by one `git archive`. */
const PARALLEL_MIN_BYTES = 8 << 20;
/** The most `git archive` processes one zip is split over. */
const MAX_ARCHIVES = 4;

export async function openModuleZip(version: ModuleVersion, options: ZipSourceOptions): Promise<ModuleZipStream> {
  const layout = await zipLayout(version, options);
  if (layout.refusal !== undefined) throw notFound(`${version.modulePath}@${version.version}: create zip: ${layout.refusal}`);
  const dir = version.dir === '' ? undefined : version.dir;
  const children = await startArchives(version.commit, dir, layout.archivedFiles, options);
  const prefix = `${version.modulePath}@${version.version}/`;
  const extra = layout.inheritedLicense === undefined ? [] : [{ name: `${prefix}LICENSE`, data: layout.inheritedLicense }];
  const { archivedPaths } = layout;
  const dirPrefix = dir === undefined ? '' : `${dir}/`;
  const rename = (archivePath: string) => {
    const path = archivePath.startsWith(dirPrefix) ? archivePath.slice(dirPrefix.length) : undefined;
    return path !== undefined && archivedPaths.has(path) ? prefix + path : undefined;
  };

  const expectedEntries = archivedPaths.size + extra.length;
  async function* pieces(): AsyncGenerator<Uint8Array> {
    try {
      const zip = moduleZip({ sources: children.map((child) => child.stdout!), rename, extra, onFileDigest: options.onFileDigest });
      let step = await zip.next();
      for (; !step.done; step = await zip.next()) yield step.value;
      await Promise.all(children.map((child) => gitExit(child)));
      // The plan and the archive must agree; a missing entry would be a different module.
      if (step.value.entryCount !== expectedEntries) {
        throw new Error(`zip of ${prefix} has ${step.value.entryCount} entries, planned ${expectedEntries}`);
      }
    } finally {
      for (const child of children) releaseOutput(child);
    }
  }
  return { chunks: pieces(), cancel: () => children.forEach(stopArchive) };
}

/**
 * Starts the `git archive` processes of a zip: one over the module's directory, or, for a large
 * module at a deflate level while git slots are free right now, several over balanced parts of it
 * (deflate is what limits git there, and it runs on one core per process). Extra processes only
 * take free slots, never wait for one, so a request never holds slots while it waits for more.
 */
async function startArchives(commit: string, dir: string | undefined, files: ZipLayout['archivedFiles'], options: ZipSourceOptions): Promise<ChildProcess[]> {
  const { gitDir, signal, limiter, level } = options;
  const start = (paths: readonly string[], slot?: Release) => options.shadows.archiveZip(gitDir, commit, paths, { level, signal, limiter, slot }).then(keepOutput);
  const whole = dir === undefined ? [] : [dir];
  const bytes = files.reduce((sum, file) => sum + file.size, 0);
  const wanted = level === 'store' || bytes < PARALLEL_MIN_BYTES ? 1 : Math.min(MAX_ARCHIVES, availableParallelism(), limiter.concurrency);
  const slots: Release[] = [];
  while (wanted > 1 && slots.length < wanted) {
    const slot = limiter.tryAcquire();
    if (slot === undefined) break;
    slots.push(slot);
  }
  const groups = slots.length > 1 ? partitionFiles(files, slots.length) : [];
  if (groups.length < 2) {
    slots.forEach((release) => release());
    return [await start(whole)];
  }
  slots.slice(groups.length).forEach((release) => release());
  const prefix = dir === undefined ? '' : `${dir}/`;
  const started = await Promise.allSettled(groups.map((paths, i) => start(paths.map((path) => prefix + path), slots[i])));
  const children = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failed = started.find((result) => result.status === 'rejected');
  if (failed !== undefined) {
    children.forEach(stopArchive);
    throw failed.reason;
  }
  return children;
}

/**
 * What goes into the zip of a module directory at a commit, whatever the version is called: a pure
 * function of the commit (its tree, and the go.mod that picks the vendor rule), so it is planned
 * once and kept in `options.layouts`. The listing behind it is shared by concurrent requests and
 * not cut short when one of them goes away.
 */
export interface ZipLayout {
  /** Why the go command would refuse the zip; undefined when it would not. */
  readonly refusal: string | undefined;
  /** The files `git archive` must deliver (paths relative to the module directory), with sizes. */
  readonly archivedFiles: ReadonlyArray<{ readonly path: string; readonly size: number }>;
  /** The paths of `archivedFiles`. */
  readonly archivedPaths: ReadonlySet<string>;
  /** The repository root's LICENSE, added to a module in a subdirectory that has none of its own. */
  readonly inheritedLicense: Uint8Array | undefined;
}

/** How much a kept layout weighs in `ZipSourceOptions.layouts`: about one unit per file. */
export function layoutWeight(layout: ZipLayout): number {
  return 1 + layout.archivedFiles.length;
}

/** What planning a zip layout needs of `ZipSourceOptions`. */
export type LayoutOptions = Pick<ZipSourceOptions, 'gitDir' | 'objects' | 'limiter' | 'layouts'>;

/** What a version's zip holds, or why it is refused: planned once per commit and directory (see `ZipLayout`). */
export function zipLayout(version: ModuleVersion, options: LayoutOptions): Promise<ZipLayout> {
  const goVersion = goDirective(decoder.decode(version.goMod));
  const plan = () => planLayout(version, goVersion, options);
  return options.layouts?.get(`${version.commit}:${version.dir}:${goVersion ?? ''}`, plan) ?? plan();
}

/** A version's zip as a person reads it: the files and their sizes, what was left out and why, or why it is refused. */
export interface ZipContents {
  readonly refusal: string | undefined;
  /** Paths relative to the module root, in tree order, a LICENSE inherited from the repository root included. */
  readonly files: ReadonlyArray<{ readonly path: string; readonly size: number }>;
  readonly omitted: readonly OmittedFile[];
  /** Whether `files` holds the repository root's LICENSE. */
  readonly inheritedLicense: boolean;
}

/** Plans a version's zip afresh (what is left out is not kept between requests), without starting git archive. */
export async function describeModuleZip(version: ModuleVersion, options: LayoutOptions): Promise<ZipContents> {
  const { plan, license } = await planFiles(version, goDirective(decoder.decode(version.goMod)), options);
  if (!plan.ok) return { refusal: plan.reason, files: [], omitted: [], inheritedLicense: false };
  const files = plan.files.map(({ path, size }) => ({ path, size }));
  return { refusal: undefined, files, omitted: plan.omitted, inheritedLicense: license !== undefined };
}

/** Applies the go command's zip rules to the module's files (`git ls-tree`, no blob read). */
async function planLayout(version: ModuleVersion, goVersion: string | undefined, options: LayoutOptions): Promise<ZipLayout> {
  const { plan, license } = await planFiles(version, goVersion, options);
  if (!plan.ok) return { refusal: plan.reason, archivedFiles: [], archivedPaths: new Set(), inheritedLicense: undefined };
  // An inherited LICENSE is added from its bytes, not archived from the module's directory.
  const kept = license === undefined ? plan.files : plan.files.filter((file) => file.path !== 'LICENSE');
  const archivedFiles = kept.map(({ path, size }) => ({ path, size }));
  return { refusal: undefined, archivedFiles, archivedPaths: new Set(kept.map((file) => file.path)), inheritedLicense: license?.data };
}

/** Lists the module's files at the version's commit, the inherited LICENSE added, and runs the zip rules over them. */
async function planFiles(version: ModuleVersion, goVersion: string | undefined, options: LayoutOptions): Promise<{ plan: ZipPlan; license: { data: Uint8Array | undefined } | undefined }> {
  const { gitDir, limiter } = options;
  const dir = version.dir === '' ? undefined : version.dir;
  // Not the request's signal: the listing may be shared, and it is short.
  const files = await listTree(gitDir, version.commit, dir, { limiter });
  const license = dir === undefined ? undefined : await inheritedRootLicense(files, version.commit, options.objects);
  const plan = planModuleZip(license === undefined ? files : [...files, license.file], { goVersion });
  return { plan, license };
}

/**
 * Node resumes, and so throws away, the stdout of an exited child that nothing listens to; a small
 * zip can be written and git gone before the caller starts reading (a HEAD never does). A
 * 'readable' listener keeps the output buffered (paused, bounded by the stream's high-water mark)
 * until the zip is read.
 */
function keepOutput(child: ChildProcess): ChildProcess {
  child.stdout?.on('readable', () => undefined);
  return child;
}

function stopArchive(child: ChildProcess): void {
  child.kill('SIGKILL');
  releaseOutput(child);
}

/** A paused stdout that nobody reads to its end keeps its descriptor open after git dies. */
function releaseOutput(child: ChildProcess): void {
  child.stdout?.destroy();
}

/**
 * A module in a subdirectory without a LICENSE of its own gets the repository root's, as the go
 * command adds it (`coderepo.go` Zip): the raw blob, a symlink's target text included.
 */
async function inheritedRootLicense(
  files: readonly TreeFile[],
  commit: string,
  objects: ObjectReader,
): Promise<{ file: TreeFile; data: Uint8Array | undefined } | undefined> {
  let data: Uint8Array | undefined;
  let size: number;
  try {
    data = await objects.readBlobAt(commit, 'LICENSE', MAX_LICENSE);
    if (data === undefined) return undefined;
    size = data.length;
  } catch (error) {
    if (!(error instanceof ObjectTooLargeError)) throw error;
    size = error.size; // too large: the plan refuses the zip by this size
  }
  const file = inheritedLicense(files, true, { path: 'LICENSE', mode: '100644', size });
  return file === undefined ? undefined : { file, data };
}
