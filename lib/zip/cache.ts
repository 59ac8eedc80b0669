/**
 * The optional on-disk zip cache (config `zipCacheMiB`), and single-flight through it.
 *
 * A zip is made once per key (module, version, commit, compression, zip format): the first request
 * starts a build that writes the zip's chunks to a part file at git's speed, and every request
 * for the same key, the first included, reads that file as it grows (the chunks not yet on disk
 * from memory: a reader never waits for the disk, only the build does, once 4 MiB wait for it).
 * When the build completes the
 * file is renamed to `<key>.zip` and later requests read it whole, or any byte range of it, with a
 * known length. So concurrent requests share one `git archive`, a slow client no longer holds a git
 * process, and repeats cost a file read.
 *
 * - A build that every reader has left is stopped (its git process killed, its part file removed):
 *   a lone client that disconnects still kills its git process.
 * - A build that fails (git dies, the zip's hash differs from its pin) fails all its readers; their
 *   connections are cut as with direct streaming. Nothing of it is kept.
 * - The cache is bounded by bytes: after each completed build the least recently used zips are
 *   deleted until the rest fit (a reader that has a deleted zip open keeps reading it). A zip
 *   larger than the whole cache is served and then deleted.
 * - With `--workers`, each process builds on its own (part files carry its pid, the rename is
 *   atomic, and the bytes are the same) and takes up zips its siblings completed.
 * - Part files left by a crash are removed at start; complete zips are kept across restarts (the
 *   key holds everything that fixes their bytes; ZIP_FORMAT_VERSION in source.ts changes the
 *   key when this server's zip writer changes).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModuleZipStream } from './source.ts';
import type { ModuleVersion } from '../modules/module-repo.ts';
import type { CompressionLevel } from '../git/archive.ts';
import { zipFormat } from './source.ts';
import { isRunning } from '../common/owned-files.ts';
import { type ByteSource, GrowingFile, readBytes } from './growing-file.ts';

/** Where and how much. */
export interface ZipCacheOptions {
  readonly dir: string;
  readonly maxBytes: number;
  /** Ending of the complete files' names, `<key><suffix>`; default `.zip`. The upstream cache keeps other files too. */
  readonly suffix?: string;
  /** Called with the key of each complete file that leaves the cache (evicted, or found deleted). */
  readonly onRemoved?: (key: string) => void;
}

/** One reader's view of a zip: complete on disk or still being built. */
export interface CachedZip {
  /** The zip's length when it is complete on disk (then ranges can be read); undefined while it is built. */
  readonly size: number | undefined;
  /** The bytes from `start` up to, not including, `end` (default: the end of the zip). */
  read(start?: number, end?: number): AsyncGenerator<Uint8Array>;
  /** This reader is done (or gone): stops a build nobody reads any more, closes the file. */
  close(): void;
}

/** Opens the zip stream of a build; `signal` aborts when every reader has left. */
export type ZipProducer = (signal: AbortSignal) => Promise<ModuleZipStream>;

/** `<key>.<pid of the building process>.<n>.part` */
const PART_FILE = /^[0-9a-f]{64}\.([0-9]+)\.[0-9]+\.part$/;
let partsStarted = 0;

export class ZipCache {
  readonly dir: string;
  readonly maxBytes: number;
  readonly #suffix: string;
  readonly #onRemoved: ((key: string) => void) | undefined;
  /** Complete zips, least recently used first (a Map keeps insertion order; a use moves a key to the end). */
  readonly #sizes = new Map<string, number>();
  #bytes = 0;
  readonly #builds = new Map<string, Build>();

  constructor(options: ZipCacheOptions) {
    this.dir = options.dir;
    this.maxBytes = options.maxBytes;
    this.#suffix = options.suffix ?? '.zip';
    this.#onRemoved = options.onRemoved;
    const keyFile = new RegExp(`^([0-9a-f]{64})${this.#suffix.replace(/\./g, '\\.')}$`);
    mkdirSync(this.dir, { recursive: true });
    const found: Array<{ key: string; size: number; mtimeMs: number }> = [];
    for (const name of readdirSync(this.dir)) {
      const path = join(this.dir, name);
      const builder = PART_FILE.exec(name)?.[1];
      // A build cut off by a crash; parts of live processes (other --workers) are theirs.
      if (builder !== undefined && !isRunning(Number(builder))) rmSync(path, { force: true });
      const key = keyFile.exec(name)?.[1];
      if (key !== undefined) found.push({ key, ...statSync(path) });
    }
    for (const { key, size } of found.sort((a, b) => a.mtimeMs - b.mtimeMs)) this.#remember(key, size);
    this.#evict();
  }

  /** The key of a zip, from everything that fixes its bytes. */
  static key(parts: readonly string[]): string {
    return createHash('sha256').update(parts.join('\n')).digest('hex');
  }

  /** Bytes of complete zips on disk. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Whether the zip of `key` is complete on disk. */
  has(key: string): boolean {
    return this.#sizes.has(key);
  }

  /**
   * The zip of `key`: from disk when complete, else from the build in progress, else from a new
   * build of `produce`. Rejects as `produce` does (not found, busy…) before any byte, for every reader.
   * `onStored` is called once the build this call starts (not one it joins) is complete on disk.
   */
  async open(key: string, produce: ZipProducer, onStored?: () => void): Promise<CachedZip> {
    const size = this.#sizes.get(key) ?? this.#adopt(key);
    if (size !== undefined) {
      const handle = await open(this.#path(key), 'r').catch(() => undefined);
      if (handle !== undefined) {
        this.#remember(key, size);
        return completeZip(handle, size);
      }
      this.#forget(key); // deleted behind our back
      this.#onRemoved?.(key);
    }
    let build = this.#builds.get(key);
    if (build === undefined) {
      // Called before the build closes its file, so no later request can join a finished build,
      // and as soon as every reader has left, so that the next request starts a new one.
      const onFinished = (built: number | undefined): void => {
        if (this.#builds.get(key) === build) this.#builds.delete(key);
        if (built === undefined) return;
        this.#remember(key, built);
        onStored?.();
        this.#evict();
      };
      const partPath = join(this.dir, `${key}.${process.pid}.${partsStarted++}.part`);
      build = new Build(partPath, this.#path(key), produce, onFinished);
      this.#builds.set(key, build);
    }
    return build.reader();
  }

  #path(key: string): string {
    return join(this.dir, `${key}${this.#suffix}`);
  }

  /** A zip another process (a --workers sibling) completed: taken into this index. */
  #adopt(key: string): number | undefined {
    const size = statSync(this.#path(key), { throwIfNoEntry: false })?.size;
    if (size !== undefined) this.#remember(key, size);
    return size;
  }

  #remember(key: string, size: number): void {
    this.#forget(key);
    this.#sizes.set(key, size);
    this.#bytes += size;
  }

  #forget(key: string): void {
    const size = this.#sizes.get(key);
    if (size === undefined) return;
    this.#sizes.delete(key);
    this.#bytes -= size;
  }

  #evict(): void {
    for (const key of this.#sizes.keys()) {
      if (this.#bytes <= this.maxBytes) return;
      this.#forget(key);
      rmSync(this.#path(key), { force: true });
      this.#onRemoved?.(key);
    }
  }
}

/** A complete zip file: every byte is there. */
function completeZip(handle: FileHandle, size: number): CachedZip {
  const source: ByteSource = { handle, progress: async () => ({ available: size, complete: true }) };
  let closed = false;
  return {
    size,
    read: (start = 0, end = size) => readBytes(source, start, end),
    close: () => {
      if (closed) return;
      closed = true;
      void handle.close().catch(() => undefined);
    },
  };
}

/** One zip being written to its part file while any number of readers follow it. */
class Build {
  readonly #started: Promise<{ file: GrowingFile; stream: ModuleZipStream }>;
  readonly #abort = new AbortController();
  #file: GrowingFile | undefined;
  #readers = 0;

  readonly #onFinished: (size: number | undefined) => void;

  /** `onFinished` gets the zip's size once it is complete and renamed, or undefined when the build failed or was left. */
  constructor(partPath: string, zipPath: string, produce: ZipProducer, onFinished: (size: number | undefined) => void) {
    this.#onFinished = onFinished;
    this.#started = this.#start(partPath, produce);
    this.#started.then(
      (started) => this.#run(started, partPath, zipPath, onFinished),
      () => onFinished(undefined),
    );
  }

  /** A reader of this build; rejects with the build's error when it could not start. */
  async reader(): Promise<CachedZip> {
    this.#readers++;
    let file: GrowingFile;
    try {
      ({ file } = await this.#started);
    } catch (error) {
      this.#leave();
      throw error;
    }
    let closed = false;
    return {
      size: undefined,
      read: (start = 0, end?: number) => file.read(start, end),
      close: () => {
        if (closed) return;
        closed = true;
        this.#leave();
      },
    };
  }

  async #start(partPath: string, produce: ZipProducer): Promise<{ file: GrowingFile; stream: ModuleZipStream }> {
    const stream = await produce(this.#abort.signal);
    try {
      this.#file = new GrowingFile(await open(partPath, 'w+'), KEEP_RECENT_BYTES, MAX_UNWRITTEN_BYTES);
    } catch (error) {
      stream.cancel();
      throw error;
    }
    return { file: this.#file, stream };
  }

  async #run(
    { file, stream }: { file: GrowingFile; stream: ModuleZipStream },
    partPath: string,
    zipPath: string,
    onFinished: (size: number | undefined) => void,
  ): Promise<void> {
    try {
      for await (const chunk of stream.chunks) {
        if (this.#abort.signal.aborted) throw new Error('every reader left');
        await file.push(chunk);
      }
      await file.flush();
      await rename(partPath, zipPath);
      file.complete();
      onFinished(file.written);
    } catch (error) {
      stream.cancel();
      onFinished(undefined);
      await rm(partPath, { force: true });
      file.fail(error);
    } finally {
      this.#closeWhenUnread();
    }
  }

  #leave(): void {
    this.#readers--;
    if (this.#readers > 0) return;
    if (this.#file?.over !== true) {
      this.#abort.abort(new Error('every reader left'));
      this.#onFinished(undefined);
    }
    this.#closeWhenUnread();
  }

  /** The shared file handle is closed once the build is over and no reader is left. */
  #closeWhenUnread(): void {
    if (this.#file?.over !== true || this.#readers > 0) return;
    void this.#file.handle.close().catch(() => undefined);
    this.#file = undefined;
  }
}

/**
 * Bytes of a build readers may take from memory before they are on disk: past that the producer
 * waits for the disk. The readers never wait for it (cache.ts's builds `push`: growing-file.ts).
 */
const MAX_UNWRITTEN_BYTES = 4 << 20;
/** Bytes of a build kept in memory once on disk, for the readers close behind it. */
const KEEP_RECENT_BYTES = 2 << 20;

/** The zip cache's key of a version's zip: what fixes its bytes, as in its ETag. */
export function zipCacheKey(version: ModuleVersion, compression: CompressionLevel): string {
  return ZipCache.key([zipFormat(compression), version.commit, version.modulePath, version.version]);
}
