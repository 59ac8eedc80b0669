/**
 * Turns the zip that `git archive --format=zip` writes into a Go module zip while both are streamed.
 *
 * Entries are renamed (`<module>@<version>/<path>`) or dropped by the caller's `rename`; directory
 * entries are always dropped, because `dirhash.HashZip` hashes every entry, directories too, and
 * the go command's `codeRepo.Zip` skips them (`coderepo.go`). Kept entries keep git's compressed
 * bytes, method, CRC and timestamps. Extra entries (the inherited LICENSE, `coderepo.go` `Zip`) are
 * appended stored. The result is a pure function of the input bytes and options.
 *
 * Flow control is pull-based: a single source is read only as fast as the consumer takes output,
 * and at most one output chunk and one source chunk (plus a few bytes of look-ahead) are held at a
 * time; with several, each reads ahead at most READ_AHEAD_BYTES (merge.ts).
 */

import { createHash, type Hash } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { Inflate } from 'fflate';
import { crc32 } from './crc32.ts';
import { mergeZipEntries } from './merge.ts';
import { PieceJoiner } from './piece-joiner.ts';
import {
  readZipEntries,
  type ZipEntryHeader,
  type ZipEntryTrailer,
  ZipFormatError,
  type ZipReadEvent,
} from './reader.ts';
import { DOS_EPOCH, ZipWriter } from './writer.ts';
import { METHOD_DEFLATE, METHOD_STORE } from './format.ts';

/** How to build a module zip from git's archive output. */
export interface ModuleZipOptions {
  /**
   * The zips whose entries make the module zip, e.g. the stdout of each `git archive` over a part
   * of the module (read in parallel, entries interleaved whole); closed (`return()`) when the
   * transform stops.
   */
  sources: ReadonlyArray<AsyncIterable<Uint8Array>>;
  /** Archive entry name → output name (`<module>@<version>/<path>`), or undefined to drop it. */
  rename(archivePath: string): string | undefined;
  /** Entries appended from bytes, stored, e.g. the inherited LICENSE. */
  extra?: ReadonlyArray<{ name: string; data: Uint8Array }>;
  /**
   * When given, every kept entry's uncompressed bytes (extra entries included) are SHA-256'd and
   * reported here, in output order; their CRC-32 and size are checked against the archive's.
   * The caller folds them into an `h1:` hash.
   */
  onFileDigest?(name: string, sha256Hex: string): void;
  /** Awaited after the last entry, before the central directory: a rejection fails the zip before its end. */
  beforeEnd?(): Promise<void>;
}

/** How far each source may read ahead of the entry being written, when there are several. */
const READ_AHEAD_BYTES = 4 << 20;

/** What a finished module zip holds. */
export interface ModuleZipSummary {
  /** Entries written, extra entries included. */
  readonly entryCount: number;
  /** Size of the module zip in bytes. */
  readonly byteCount: number;
}

/**
 * The module zip as a sequence of byte chunks, mostly of `chunkBytes` (see `PieceJoiner`: a large
 * file's data passes whole, after a shorter chunk); the return value summarises it. Input is read only while no
 * whole chunk of output is waiting, so the transform holds about `chunkBytes` plus one source chunk.
 */
export async function* moduleZip(
  options: ModuleZipOptions,
  chunkBytes = 64 << 10,
): AsyncGenerator<Uint8Array, ModuleZipSummary> {
  const output = new PieceJoiner(chunkBytes);
  const entries = new EntryCopier(options, output);
  for await (const event of mergeZipEntries(options.sources.map(readZipEntries), READ_AHEAD_BYTES)) {
    entries.take(event);
    while (output.full) yield output.take();
  }
  await options.beforeEnd?.();
  const summary = entries.finish();
  yield* output.drain();
  return summary;
}

/** Copies the kept entries of git's archive into the module zip, event by event. */
class EntryCopier {
  readonly #options: ModuleZipOptions;
  readonly #output: PieceJoiner;
  readonly #writer = new ZipWriter();
  /** The archive's first timestamp, given to the extra entries. */
  #time: { dosTime: number; dosDate: number } | undefined;
  /** The entry being copied; undefined between entries and inside a dropped one. */
  #kept: { name: string; check: ContentCheck | undefined } | undefined;

  constructor(options: ModuleZipOptions, output: PieceJoiner) {
    this.#options = options;
    this.#output = output;
  }

  take(event: ZipReadEvent): void {
    if (event.kind === 'header' || event.kind === 'entry') this.#start(event.header);
    if (this.#kept === undefined) return;
    if (event.kind === 'entry') {
      this.#kept.check?.pushWhole(event.chunk);
      this.#output.add(this.#writer.data(event.chunk));
      this.#end(event.trailer);
    } else if (event.kind === 'data') {
      this.#data(event.chunk);
    } else if (event.kind === 'end') {
      this.#end(event.trailer);
    }
  }

  /** Appends the extra entries and the central directory. */
  finish(): ModuleZipSummary {
    const writer = this.#writer;
    for (const { name, data } of this.#options.extra ?? []) {
      for (const piece of writer.storedEntry(name, data, this.#time ?? DOS_EPOCH)) this.#output.add(piece);
      this.#options.onFileDigest?.(name, createHash('sha256').update(data).digest('hex'));
    }
    for (const piece of writer.finish()) this.#output.add(piece);
    return { entryCount: writer.entryCount, byteCount: writer.byteCount };
  }

  #start(header: ZipEntryHeader): void {
    this.#time ??= { dosTime: header.dosTime, dosDate: header.dosDate };
    const name = outputName(header, this.#options);
    if (name === undefined) return;
    this.#kept = {
      name,
      check: this.#options.onFileDigest && new ContentCheck(name, header.method, header.uncompressedSize),
    };
    const { method, dosTime, dosDate, hasDataDescriptor, zip64 } = header;
    this.#output.add(
      this.#writer.startEntry({ name, method, dosTime, dosDate, hasDataDescriptor, zip64, declared: header }),
    );
  }

  #data(chunk: Uint8Array): void {
    this.#kept!.check?.push(chunk);
    this.#output.add(this.#writer.data(chunk));
  }

  #end(trailer: ZipEntryTrailer): void {
    const kept = this.#kept!;
    if (kept.check) this.#options.onFileDigest?.(kept.name, kept.check.finish(trailer));
    this.#output.add(this.#writer.endEntry(trailer));
    this.#kept = undefined;
  }
}

/**
 * The output name of an archive entry, or undefined when it is dropped: directory entries always,
 * other entries as `rename` decides. The go command accepts only stored and deflated entries
 * (`zip.Unzip` via `checkZip` in golang/mod `zip/zip.go`), so any other method is an error.
 */
function outputName(header: ZipEntryHeader, options: ModuleZipOptions): string | undefined {
  if (header.name.endsWith('/')) return undefined;
  const name = options.rename(header.name);
  if (name !== undefined && header.method !== METHOD_STORE && header.method !== METHOD_DEFLATE) {
    throw new ZipFormatError(`unsupported compression method ${header.method} for ${header.name}`);
  }
  return name;
}

/** Deflated entries up to this size, when all their bytes are at hand, are inflated by zlib in one call. */
const WHOLE_INFLATE_MAX_BYTES = 1 << 20;
/** node:zlib's smallest `chunkSize` (`zlib.constants.Z_MIN_CHUNK`). */
const MIN_ZLIB_CHUNK = 64;

/**
 * Follows one entry's uncompressed bytes: their SHA-256 for the caller, their CRC-32 and size to
 * check against the archive. Deflated data is inflated by node:zlib in one call when the whole
 * entry is at hand and small (most files of a module, several times faster than JavaScript), else
 * piece by piece with fflate's streaming `Inflate`, so that a large file never sits in memory.
 */
class ContentCheck {
  private readonly name: string;
  private readonly deflated: boolean;
  /** The uncompressed size the header declares. */
  private readonly declaredSize: number;
  private readonly sha256: Hash = createHash('sha256');
  private inflater: Inflate | undefined;
  private inflatedWhole = false;
  private crc = 0;
  private size = 0;

  constructor(name: string, method: number, declaredSize: number) {
    this.name = name;
    this.deflated = method === METHOD_DEFLATE;
    this.declaredSize = declaredSize;
  }

  /** Takes the next piece of the entry's data as stored in the archive. */
  push(chunk: Uint8Array): void {
    if (this.deflated) this.inflate(chunk, false);
    else this.consume(chunk);
  }

  /** Takes the entry's whole data as stored in the archive. */
  pushWhole(chunk: Uint8Array): void {
    if (!this.deflated || this.declaredSize > WHOLE_INFLATE_MAX_BYTES) {
      this.push(chunk);
      return;
    }
    let content: Uint8Array;
    try {
      // More output than declared stops zlib early; the size check below then refuses the entry.
      // One output buffer of the declared size (zlib's default is a fresh 16 KiB one per call,
      // which for 100,000 small files left tens of MB of dead buffers waiting for a collection).
      const outputBytes = Math.max(MIN_ZLIB_CHUNK, this.declaredSize + 1);
      content = inflateRawSync(chunk, { maxOutputLength: this.declaredSize + 1, chunkSize: outputBytes });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ERR_BUFFER_TOO_LARGE') throw this.badData(error);
      content = new Uint8Array(this.declaredSize + 1);
    }
    this.inflatedWhole = true;
    this.consume(content);
  }

  /** Checks the content against `trailer` and returns its SHA-256 in hex. */
  finish(trailer: ZipEntryTrailer): string {
    if (this.deflated && !this.inflatedWhole) this.inflate(new Uint8Array(0), true);
    if (this.size !== trailer.uncompressedSize || this.crc !== trailer.crc32) {
      throw new ZipFormatError(`content of ${this.name} does not match its CRC-32 or size`);
    }
    return this.sha256.digest('hex');
  }

  private inflate(chunk: Uint8Array, final: boolean): void {
    this.inflater ??= new Inflate((bytes) => this.consume(bytes));
    try {
      this.inflater.push(chunk, final);
    } catch (error) {
      throw this.badData(error);
    }
  }

  private badData(error: unknown): ZipFormatError {
    return new ZipFormatError(`bad deflate data in ${this.name}: ${(error as Error).message}`);
  }

  private consume(bytes: Uint8Array): void {
    this.sha256.update(bytes);
    this.crc = crc32(bytes, this.crc);
    this.size += bytes.length;
  }
}
