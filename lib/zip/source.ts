/**
 * The zip of a module version, from the repository to the first byte: list the module's files
 * (`git ls-tree`, no blob read), decide with the go command's rules what goes in or makes the whole
 * zip an error (once per commit and directory: see `ZipLayout`), then stream `git archive` (one, or
 * several over parts of a large module) through the module-zip transform. What the names decide
 * happens before the caller sends a status line; the size rules, on a version's first download,
 * while the files stream: the zip's central directory waits for them, and a refusal then fails the
 * stream before its end.
 */
import type { ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { notFound } from '../common/errors.ts';
import type { CompressionLevel, ShadowRepos } from '../git/archive.ts';
import type { Limiter, Release } from '../git/limiter.ts';
import { gitExit } from '../git/run.ts';
import { type ObjectReader, ObjectTooLargeError } from '../git/objects.ts';
import { forEachTreeEntry } from '../git/tree.ts';
import type { ImmutableCache } from '../common/immutable-cache.ts';
import type { ModuleVersion } from '../modules/module-repo.ts';
import { moduleZip } from './module-zip.ts';
import { partitionFiles } from './partition.ts';
import {
  inheritedLicense,
  MAX_LICENSE,
  type OmittedFile,
  planModuleZipInSlices,
  SizeCheck,
  type TreeFile,
} from './rules.ts';
import { laxGoMod } from '../modules/gomod-lax.ts';

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
  /**
   * Resolves once every rule has been decided for the zip, rejects with the refusal if one refuses
   * it (the zip then fails before its end); where absent, everything was decided before the stream.
   */
  verdict?(): Promise<void>;
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

/** Below this many bytes of files a zip is made by one `git archive`. */
const PARALLEL_MIN_BYTES = 8 << 20;
/**
 * While its sizes are not listed yet, a module of at least this many files counts as large (and is
 * split by file count); a smaller one waits for its sizes, which are listed quickly, to decide.
 */
const PARALLEL_MIN_FILES = 4096;
/** The most `git archive` processes one zip is split over. */
const MAX_ARCHIVES = 4;

export async function openModuleZip(version: ModuleVersion, options: ZipSourceOptions): Promise<ModuleZipStream> {
  const dir = version.dir === '' ? undefined : version.dir;
  const { goVersion } = await laxGoMod(version.goMod);
  // The listing asks for its git slot before the early archive may take one (both in this turn), so
  // that an archive never holds the last slot while its own listing waits for one.
  const planned = layoutFor(version, goVersion, options);
  // At `store` a zip is always one archive: git starts on it while the tree is listed, if a slot is free now.
  const early = options.level === 'store' ? startEarlyArchive(version.commit, dir, options) : undefined;
  let layout: ZipLayout;
  let children: ChildProcess[];
  try {
    layout = await planned;
    // A small module's sizes come quickly, and say whether it is worth several archives.
    if (options.level !== 'store' && layout.byteCount === undefined && layout.fileCount < PARALLEL_MIN_FILES) {
      layout = await layout.complete();
    }
    if (layout.refusal !== undefined) throw refusalError(version, layout.refusal);
    children = (await early) ?? (await startArchives(version.commit, dir, layout, options));
  } catch (error) {
    void early?.then((started) => started?.forEach(stopArchive), () => undefined);
    throw error;
  }
  const prefix = `${version.modulePath}@${version.version}/`;
  const extra = layout.inheritedLicense === undefined
    ? []
    : [{ name: `${prefix}LICENSE`, data: layout.inheritedLicense }];
  const { dropped } = layout;
  const dirPrefix = dir === undefined ? '' : `${dir}/`;
  const rename = (archivePath: string) => {
    const path = archivePath.startsWith(dirPrefix) ? archivePath.slice(dirPrefix.length) : undefined;
    return path !== undefined && !dropped.has(path) ? prefix + path : undefined;
  };
  /** The rules that need sizes, decided while the files stream: the end of the zip waits for them. */
  const verdict = async (): Promise<void> => {
    const { refusal } = await layout.complete();
    if (refusal !== undefined) throw refusalError(version, refusal);
  };

  const expectedEntries = layout.fileCount + extra.length;
  async function* pieces(): AsyncGenerator<Uint8Array> {
    try {
      const zip = moduleZip({
        sources: children.map((child) => child.stdout!),
        rename,
        extra,
        onFileDigest: options.onFileDigest,
        beforeEnd: verdict,
      });
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
  return { chunks: pieces(), cancel: () => children.forEach(stopArchive), verdict };
}

function refusalError(version: ModuleVersion, refusal: string): Error {
  return notFound(`${version.modulePath}@${version.version}: create zip: ${refusal}`);
}

/**
 * `git archive` of the whole module directory, started before its layout is known when a git slot
 * is free right now (never waiting for one: the listing the layout needs may be waiting too).
 */
async function startEarlyArchive(
  commit: string,
  dir: string | undefined,
  options: ZipSourceOptions,
): Promise<ChildProcess[] | undefined> {
  const slot = options.limiter.tryAcquire();
  if (slot === undefined) return undefined;
  const { gitDir, signal, level } = options;
  const child = await options.shadows.archiveZip(gitDir, commit, dir === undefined ? [] : [dir], {
    level,
    signal,
    limiter: options.limiter,
    slot,
  });
  return [keepOutput(child)];
}

/**
 * Starts the `git archive` processes of a zip: one over the module's directory, or, for a large
 * module at a deflate level while git slots are free right now, several over balanced parts of it
 * (deflate is what limits git there, and it runs on one core per process). Extra processes only
 * take free slots, never wait for one, so a request never holds slots while it waits for more.
 */
async function startArchives(
  commit: string,
  dir: string | undefined,
  layout: ZipLayout,
  options: ZipSourceOptions,
): Promise<ChildProcess[]> {
  const { gitDir, signal, limiter, level } = options;
  const start = (paths: readonly string[], slot?: Release) =>
    options.shadows.archiveZip(gitDir, commit, paths, { level, signal, limiter, slot }).then(keepOutput);
  const whole = dir === undefined ? [] : [dir];
  const large = layout.byteCount === undefined
    ? layout.fileCount >= PARALLEL_MIN_FILES
    : layout.byteCount >= PARALLEL_MIN_BYTES;
  const wanted = level === 'store' || !large ? 1 : Math.min(layout.partitions.length + 1, limiter.concurrency);
  const slots: Release[] = [];
  while (wanted > 1 && slots.length < wanted) {
    const slot = limiter.tryAcquire();
    if (slot === undefined) break;
    slots.push(slot);
  }
  const groups = slots.length > 1 ? layout.partitions[slots.length - 2]! : [];
  if (groups.length < 2) {
    slots.forEach((release) => release());
    return [await start(whole)];
  }
  slots.slice(groups.length).forEach((release) => release());
  const prefix = dir === undefined ? '' : `${dir}/`;
  const started = await Promise.allSettled(
    groups.map((paths, i) => start(paths.map((path) => prefix + path), slots[i])),
  );
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
 * once and kept in `options.layouts`, in a few bytes per module (not per file): what git archives
 * goes in, but for the few files a rule leaves out. The names decide it (`git ls-tree` without
 * sizes, fast); the rules that need sizes (500 MiB in all, a go.mod or LICENSE over 16 MiB) are
 * decided meanwhile from a second listing with sizes, while the zip may already stream: `complete`.
 * The listings are shared by concurrent requests and not cut short when one of them goes away.
 */
export interface ZipLayout {
  /** Why the go command would refuse the zip; undefined when it would not (as far as `complete` has decided). */
  readonly refusal: string | undefined;
  /** Files `git archive` writes that the zip leaves out (paths relative to the module directory). */
  readonly dropped: ReadonlySet<string>;
  /** How many of the archive's files go into the zip. */
  readonly fileCount: number;
  /** Their bytes, once the sizes are listed. */
  readonly byteCount: number | undefined;
  /**
   * For 2, 3, … `git archive` processes (index 0, 1, …), the module's files in as many balanced
   * groups of pathspecs relative to the module directory; none at `store`, where a zip is one archive.
   * Balanced by file count until the sizes are listed, then by bytes.
   */
  readonly partitions: ReadonlyArray<ReadonlyArray<ReadonlyArray<string>>>;
  /** The repository root's LICENSE, added to a module in a subdirectory that has none of its own. */
  readonly inheritedLicense: Uint8Array | undefined;
  /** This layout with the size rules decided (`refusal`, `byteCount`); listed again if listing failed. */
  complete(): Promise<ZipLayout>;
}

/** How much a kept layout weighs in `ZipSourceOptions.layouts`: one unit per path it holds. */
export function layoutWeight(layout: ZipLayout): number {
  return 1 + layout.dropped.size +
    layout.partitions.reduce((sum, groups) => sum + groups.reduce((n, group) => n + group.length, 0), 0);
}

/** What planning a zip layout needs of `ZipSourceOptions`; `level` says whether partitions are wanted. */
export type LayoutOptions = Pick<ZipSourceOptions, 'gitDir' | 'objects' | 'limiter' | 'layouts'> & {
  readonly level?: CompressionLevel;
};

/**
 * What a version's zip holds, or why it is refused: planned once per commit and directory (see
 * `ZipLayout`). With `complete: false` the layout may come before the size rules are decided.
 */
export async function zipLayout(
  version: ModuleVersion,
  options: LayoutOptions,
  { complete = true } = {},
): Promise<ZipLayout> {
  const { goVersion } = await laxGoMod(version.goMod);
  const layout = await layoutFor(version, goVersion, options);
  return complete ? layout.complete() : layout;
}

/** The layout, kept or planned now: a listing started by this call has asked for its git slot when it returns. */
function layoutFor(version: ModuleVersion, goVersion: string | undefined, options: LayoutOptions): Promise<ZipLayout> {
  const key = `${version.commit}:${version.dir}:${goVersion ?? ''}`;
  // The kept layout's closures hold these, not the request's options (its digest sink, its signal).
  const { gitDir, objects, limiter, level, layouts } = options;
  const planning = { gitDir, objects, limiter, level };
  const plan = () => planLayout(version, goVersion, planning, (done) => layouts?.set(key, done));
  return layouts?.get(key, plan) ?? plan();
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
  const { goVersion } = await laxGoMod(version.goMod);
  const { plan, license } = await planFiles(version, goVersion, options, true);
  if (!plan.ok) return { refusal: plan.reason, files: [], omitted: [], inheritedLicense: false };
  const files = plan.files.map(({ path, size }) => ({ path, size }));
  return { refusal: undefined, files, omitted: plan.omitted, inheritedLicense: license !== undefined };
}

/**
 * Plans a layout from the names of the module's files, and starts deciding the size rules from a
 * listing with sizes; `keep` receives the layout once they are decided.
 */
async function planLayout(
  version: ModuleVersion,
  goVersion: string | undefined,
  options: LayoutOptions,
  keep: (layout: ZipLayout) => void,
): Promise<ZipLayout> {
  const { plan, files, license } = await planFiles(version, goVersion, options, false);
  if (!plan.ok) {
    // Planned again with sizes, for the reason the go command gives: a size error wins over an invalid file.
    const sized = await planFiles(version, goVersion, options, true);
    const refusal = sized.plan.ok ? plan.reason : sized.plan.reason;
    const refused: ZipLayout = {
      refusal,
      dropped: new Set(),
      fileCount: 0,
      byteCount: 0,
      partitions: [],
      inheritedLicense: undefined,
      complete: () => Promise.resolve(refused),
    };
    return refused;
  }
  // Plain loops, no closures: the layout's closure (sizeLater) must not keep this listing alive.
  // The plan keeps files in the listing's order (an inherited LICENSE after them): walked side by side, no set of 100,000.
  const keptAt = new Uint8Array(files.length);
  const keptFiles: TreeFile[] = [];
  const dropped = new Set<string>();
  let next = 0;
  for (let index = 0; index < files.length; index++) {
    const file = files[index]!;
    if (plan.files[next] !== file) dropped.add(ownString(file.path));
    else {
      next++;
      keptAt[index] = 1;
      keptFiles.push(file);
    }
  }
  const wantPartitions = options.level !== undefined && options.level !== 'store';
  // Balanced by file count until the sizes are known (every size is 0 here).
  if (wantPartitions) await nextTurn(); // the plan and the partitions in turns of their own: a tree may hold 100,000 files
  const partitions = wantPartitions ? partitionsOf(keptFiles) : [];
  const base = {
    refusal: undefined,
    dropped,
    fileCount: keptFiles.length,
    byteCount: undefined,
    partitions,
    inheritedLicense: license?.data,
  };
  return sizeLater(base, checkSizes.bind(undefined, version, options, keptAt, license?.file, wantPartitions), keep);
}

/**
 * The layout `base`, whose `complete()` is `base` with the verdict of `check`, started now (whoever
 * asks after a failure checks again). A function of its own, so that the closure the layout keeps
 * holds these arguments only, not the listing its caller planned from.
 */
function sizeLater(
  base: Omit<ZipLayout, 'complete'>,
  check: () => Promise<SizeVerdict>,
  keep: (layout: ZipLayout) => void,
): ZipLayout {
  const layout: ZipLayout = {
    ...base,
    complete: onceAtATime(async () => {
      const sized = await check();
      const done: ZipLayout = {
        ...base,
        ...sized,
        partitions: sized.partitions ?? base.partitions,
        complete: () => Promise.resolve(done),
      };
      keep(done);
      return done;
    }),
  };
  layout.complete().catch(() => undefined);
  return layout;
}

/** What the listing with sizes decides. */
interface SizeVerdict {
  readonly refusal: string | undefined;
  readonly byteCount: number;
  /** By bytes, when wanted. */
  readonly partitions: string[][][] | undefined;
}

/**
 * Rule 9 over the kept files (`keptAt`: 1 at the index of each, in the order of the listing without
 * sizes, which a listing with sizes repeats), the inherited LICENSE last as `planFiles` adds it;
 * and the partitions by bytes when wanted. Holds no file: they are counted as they are listed.
 */
async function checkSizes(
  version: ModuleVersion,
  options: LayoutOptions,
  keptAt: Uint8Array,
  license: TreeFile | undefined,
  wantPartitions: boolean,
): Promise<SizeVerdict> {
  const check = new SizeCheck();
  const sized: Array<{ path: string; size: number }> | undefined = wantPartitions ? [] : undefined;
  let index = 0;
  const dir = version.dir === '' ? undefined : version.dir;
  await forEachTreeEntry(options.gitDir, version.commit, dir, { limiter: options.limiter }, (entry) => {
    if (keptAt[index++] !== 1) return;
    check.add(entry);
    sized?.push({ path: entry.path, size: entry.size });
  });
  if (index !== keptAt.length) {
    throw new Error(`the tree of ${version.commit} listed ${keptAt.length} files, then ${index}`);
  }
  if (license !== undefined) check.add(license);
  if (sized !== undefined) await nextTurn();
  return { refusal: check.refusal, byteCount: check.total, partitions: sized && partitionsOf(sized) };
}

/** The groups of pathspecs for 2, 3, … archives (see `ZipLayout.partitions`). */
function partitionsOf(files: ReadonlyArray<{ readonly path: string; readonly size: number }>): string[][][] {
  const most = Math.min(MAX_ARCHIVES, availableParallelism());
  const partitions: string[][][] = [];
  for (let parts = 2; parts <= most; parts++) {
    partitions.push(partitionFiles(files, parts).map((group) => group.map(ownString)));
  }
  return partitions;
}

/**
 * A copy of `text` that holds no other string: a path cut from a listing (a slice of the decoded
 * output) would otherwise keep the whole 64 KiB piece of the listing it came from alive with it.
 */
function ownString(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}

/** `run`, shared by whoever asks while it runs; once it has succeeded, its result; after a failure, run again. */
function onceAtATime<T>(run: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => (pending ??= run().catch((error: unknown) => {
    pending = undefined;
    throw error;
  }));
}

/**
 * Lists the module's files at the version's commit (with their sizes, or, faster, without), the
 * inherited LICENSE added, and runs the zip rules over them (those needing sizes only with them).
 */
async function planFiles(
  version: ModuleVersion,
  goVersion: string | undefined,
  options: LayoutOptions,
  sizes: boolean,
) {
  const { gitDir, limiter } = options;
  const dir = version.dir === '' ? undefined : version.dir;
  // Not the request's signal: the listing may be shared, and it is short.
  // What the rules read of each file, no more: a listing of 100,000 is held while they run.
  const files: TreeFile[] = [];
  await forEachTreeEntry(
    gitDir,
    version.commit,
    dir,
    { limiter, sizes },
    ({ path, mode, size }) => files.push({ path, mode, size }),
  );
  const license = dir === undefined ? undefined : await inheritedRootLicense(files, version.commit, options.objects);
  const plan = await planModuleZipInSlices(license === undefined ? files : [...files, license.file], {
    goVersion,
    sizesUnknown: !sizes,
  });
  return { plan, files, license };
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
