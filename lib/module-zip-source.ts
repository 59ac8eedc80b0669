/**
 * The zip of a module version, from the repository to the first byte: list the module's files
 * (`git ls-tree`, no blob read), decide with the go command's rules what goes in or makes the whole
 * zip an error, then stream `git archive` through the module-zip transform. Everything that can
 * refuse the version happens before the caller sends a status line.
 */
import type { ChildProcess } from 'node:child_process';
import { notFound } from './errors.ts';
import type { ArchiveLevel, ShadowRepos } from './git/archive.ts';
import type { Limiter } from './git/limiter.ts';
import { gitExit } from './git/run.ts';
import { ObjectTooLargeError, type ObjectReader } from './git/objects.ts';
import { listTree } from './git/tree.ts';
import type { ModuleVersion } from './modules.ts';
import { batchChunks } from './zip/batch.ts';
import { moduleZip } from './zip/module-zip.ts';
import { inheritedLicense, MAX_LICENSE, parseGoDirective, planModuleZip, type TreeFile } from './zip/rules.ts';

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
  readonly level: ArchiveLevel;
  readonly signal: AbortSignal;
  /** Receives each file's SHA-256 as it streams, for an `h1:` hash. */
  readonly onFileDigest?: (name: string, sha256Hex: string) => void;
}

const decoder = new TextDecoder();
/** Pieces of the zip are joined into chunks of at least this size before they are written. */
const WRITE_BYTES = 64 << 10;

export async function openModuleZip(version: ModuleVersion, options: ZipSourceOptions): Promise<ModuleZipStream> {
  const { gitDir, signal, limiter } = options;
  const dir = version.dir === '' ? undefined : version.dir;
  // The listing and the archive start together; git's first bytes wait in its pipe until the plan
  // has accepted the zip. The listing asks the limiter first, and its FIFO queue grants in order,
  // so an archive never holds a slot that its own listing is waiting for.
  const listing = listTree(gitDir, version.commit, dir, { signal, limiter });
  const refused = new AbortController();
  const archiveSignal = AbortSignal.any([signal, refused.signal]);
  const archive = options.shadows.archiveZip(gitDir, version.commit, dir, { level: options.level, signal: archiveSignal, limiter }).then(keepOutput);
  let plan: ZipPlan;
  let child: ChildProcess;
  try {
    plan = await planZip(version, dir, await listing, options.objects);
    child = await archive;
  } catch (error) {
    refused.abort(error);
    listing.catch(() => undefined);
    archive.then((started) => stopArchive(started), () => undefined);
    throw error;
  }
  const { prefix, archived, extra } = plan;
  const dirPrefix = dir === undefined ? '' : `${dir}/`;
  const rename = (archivePath: string) => {
    const path = archivePath.startsWith(dirPrefix) ? archivePath.slice(dirPrefix.length) : undefined;
    return path !== undefined && archived.has(path) ? prefix + path : undefined;
  };

  const expectedEntries = archived.size + extra.length;
  async function* pieces(): AsyncGenerator<Uint8Array> {
    try {
      const zip = moduleZip({ source: child.stdout!, rename, extra, onFileDigest: options.onFileDigest });
      let step = await zip.next();
      for (; !step.done; step = await zip.next()) yield step.value;
      await gitExit(child);
      // The plan and the archive must agree; a missing entry would be a different module.
      if (step.value.entryCount !== expectedEntries) {
        throw new Error(`zip of ${prefix} has ${step.value.entryCount} entries, planned ${expectedEntries}`);
      }
    } finally {
      releaseOutput(child);
    }
  }
  return { chunks: batchChunks(pieces(), WRITE_BYTES), cancel: () => stopArchive(child) };
}

/** What goes into the zip: git's entries to keep (paths relative to the module) and entries to add. */
interface ZipPlan {
  /** `<module>@<version>/` */
  readonly prefix: string;
  readonly archived: ReadonlySet<string>;
  readonly extra: ReadonlyArray<{ name: string; data: Uint8Array }>;
}

/** Applies the go command's zip rules to the module's files; throws 404 when it would refuse the zip. */
async function planZip(version: ModuleVersion, dir: string | undefined, files: TreeFile[], objects: ObjectReader): Promise<ZipPlan> {
  const license = dir === undefined ? undefined : await inheritedRootLicense(files, version.commit, objects);
  const plan = planModuleZip(license === undefined ? files : [...files, license.file], {
    goVersion: parseGoDirective(decoder.decode(version.goMod)),
  });
  if (!plan.ok) throw notFound(`${version.modulePath}@${version.version}: create zip: ${plan.reason}`);
  const prefix = `${version.modulePath}@${version.version}/`;
  const archived = new Set(plan.files.map((file) => file.path));
  if (license !== undefined) archived.delete('LICENSE');
  const extra = license?.data === undefined ? [] : [{ name: `${prefix}LICENSE`, data: license.data }];
  return { prefix, archived, extra };
}

/**
 * Node resumes, and so throws away, the stdout of an exited child that nothing listens to; a small
 * zip can be written and git gone before the plan is done. A 'readable' listener keeps the output
 * buffered (paused, bounded by the stream's high-water mark) until the zip is read.
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
