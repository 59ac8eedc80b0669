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

import { createHash } from 'node:crypto';
import { ContentCheck } from './content-check.ts';
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
