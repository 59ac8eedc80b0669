/**
 * An incremental reader of the zip stream `git archive --format=zip` writes (git's `archive-zip.c`).
 *
 * It walks the local file entries front to back as bytes arrive, never seeking and never holding
 * more than one header (or a few bytes of look-ahead) beyond what the consumer has taken:
 * - each entry is announced by a `header` event, then its compressed bytes follow as `data` events
 *   (subarrays of the input chunks, not copies), then an `end` event with the final CRC and sizes;
 *   an entry of known length whose bytes are all at hand comes as one `entry` event instead (most
 *   entries of a module with many small files: one step per entry rather than three);
 * - an entry with flag bit 3 (git streams blobs above `core.bigFileThreshold` this way) is followed
 *   by a data descriptor (`PK\x07\x08`, 32- or 64-bit sizes) holding its CRC and sizes. git's
 *   header still gives the uncompressed size, and for stored data the compressed size too
 *   (`write_zip_entry`); deflated data ends at the first descriptor signature whose compressed
 *   size equals the bytes seen, whose uncompressed size matches the header and which is followed
 *   by the next record's signature (deflate data that mimics all of that is caught by the CRC
 *   check of whoever inflates it);
 * - sizes may come from a Zip64 extra field (id 0x0001);
 * - at the central directory the entries end; its records are walked only to check that the
 *   archive is complete (the entry count matches, the end record and its comment close the input).
 * Anything else is malformed input and throws a `ZipFormatError`.
 */

import {
  CENTRAL_HEADER_SIG,
  CENTRAL_HEADER_SIZE,
  DATA_DESCRIPTOR_SIG,
  END_SIG,
  END_SIZE,
  FLAG_DATA_DESCRIPTOR,
  LOCAL_HEADER_SIG,
  LOCAL_HEADER_SIZE,
  UINT32_MAX,
  ZIP64_END_SIG,
  ZIP64_EXTRA_ID,
  ZIP64_LOCATOR_SIG,
  ZIP64_LOCATOR_SIZE,
} from './format.ts';

/** Malformed or truncated zip input. */
export class ZipFormatError extends Error {
  constructor(message: string) {
    super(`zip: ${message}`);
    this.name = 'ZipFormatError';
  }
}

/** A local file header as git wrote it. */
export interface ZipEntryHeader {
  /**
   * Entry name decoded as UTF-8, invalid sequences replaced by U+FFFD: git writes such names raw
   * (`archive-zip.c` warns "Path is not valid UTF-8"); the go command drops them silently where a
   * rule drops the file (vendored, nested module) and refuses the zip otherwise, which callers
   * decide from the tree listing.
   */
  readonly name: string;
  /** 0 (stored) or 8 (deflated); other methods are passed on as they are. */
  readonly method: number;
  /** General purpose flags; bit 3 means a data descriptor follows the data. */
  readonly flags: number;
  /** CRC-32 of the uncompressed bytes (unreliable when `hasDataDescriptor`). */
  readonly crc32: number;
  /** Compressed size (unreliable when `hasDataDescriptor`). */
  readonly compressedSize: number;
  /** Uncompressed size (unreliable when `hasDataDescriptor`). */
  readonly uncompressedSize: number;
  /** MS-DOS time and date fields. */
  readonly dosTime: number;
  readonly dosDate: number;
  /** Flag bit 3: CRC and sizes are only known from the descriptor after the data. */
  readonly hasDataDescriptor: boolean;
  /** The header carried a Zip64 extra field (sizes may exceed 32 bits). */
  readonly zip64: boolean;
}

/** The CRC and sizes that hold for an entry once its data has been read. */
export interface ZipEntryTrailer {
  readonly crc32: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
}

/** What `readZipEntries` yields, in order: per entry one `header`, any `data`, one `end`; or one `entry`. */
export type ZipReadEvent =
  | { readonly kind: 'header'; readonly header: ZipEntryHeader }
  | { readonly kind: 'data'; readonly chunk: Uint8Array }
  | { readonly kind: 'end'; readonly trailer: ZipEntryTrailer }
  | {
    readonly kind: 'entry';
    readonly header: ZipEntryHeader;
    readonly chunk: Uint8Array;
    readonly trailer: ZipEntryTrailer;
  };

const DESCRIPTOR_SIG_BYTES = Uint8Array.of(0x50, 0x4b, 0x07, 0x08);

const utf8 = new TextDecoder('utf-8');

/**
 * Reads git's zip output from `source` (any chunking) and yields its entries as events. Nothing is
 * pulled from `source` before the consumer asks for the next event. Chunks in `data` events are
 * views of the source's chunks; the reader never writes to them.
 */
export async function* readZipEntries(source: AsyncIterable<Uint8Array>): AsyncGenerator<ZipReadEvent, void> {
  const iterator = source[Symbol.asyncIterator]();
  try {
    yield* readEntries(new ChunkQueue(iterator));
  } finally {
    await iterator.return?.();
  }
}

async function* readEntries(input: ChunkQueue): AsyncGenerator<ZipReadEvent, void> {
  let entryCount = 0;
  for (;;) {
    if (!input.holds(4)) await input.require(4, 'a record signature');
    const signature = input.uint32At(0);
    if (signature !== LOCAL_HEADER_SIG) {
      if (signature !== CENTRAL_HEADER_SIG && signature !== END_SIG) {
        throw new ZipFormatError(`bad record signature 0x${signature.toString(16)} after ${entryCount} entries`);
      }
      await skipCentralDirectory(input, entryCount);
      return;
    }
    const header = localHeaderAtHand(input) ? parseLocalHeader(input) : await readLocalHeader(input);
    if (!header.hasDataDescriptor && input.frontHolds(header.compressedSize)) {
      const { crc32, compressedSize, uncompressedSize } = header;
      const chunk = compressedSize === 0 ? new Uint8Array(0) : input.takeFromFront(compressedSize);
      yield { kind: 'entry', header, chunk, trailer: { crc32, compressedSize, uncompressedSize } };
    } else if (header.hasDataDescriptor) {
      yield { kind: 'header', header };
      yield* readUntilDescriptor(input, header);
    } else {
      yield { kind: 'header', header };
      yield* readKnownLength(input, header);
      const { crc32, compressedSize, uncompressedSize } = header;
      yield { kind: 'end', trailer: { crc32, compressedSize, uncompressedSize } };
    }
    entryCount++;
  }
}

/** Whether the whole local header at the front (fixed part, name and extra field) is buffered. */
function localHeaderAtHand(input: ChunkQueue): boolean {
  return input.holds(LOCAL_HEADER_SIZE) && input.holds(LOCAL_HEADER_SIZE + input.uint16At(26) + input.uint16At(28));
}

/** Waits for the local header at the front, then parses it. */
async function readLocalHeader(input: ChunkQueue): Promise<ZipEntryHeader> {
  await input.require(LOCAL_HEADER_SIZE, 'a local file header');
  await input.require(LOCAL_HEADER_SIZE + input.uint16At(26) + input.uint16At(28), 'a file name and extra field');
  return parseLocalHeader(input);
}

/** Parses the buffered local file header at the front (`archive-zip.c` `write_zip_entry`) and consumes it. */
function parseLocalHeader(input: ChunkQueue): ZipEntryHeader {
  const flags = input.uint16At(6);
  const nameLength = input.uint16At(26);
  const extraLength = input.uint16At(28);
  const fixed = {
    method: input.uint16At(8),
    dosTime: input.uint16At(10),
    dosDate: input.uint16At(12),
    crc32: input.uint32At(14),
  };
  const declaredCompressed = input.uint32At(18);
  const declaredUncompressed = input.uint32At(22);
  input.skip(LOCAL_HEADER_SIZE);
  const name = utf8.decode(input.take(nameLength));
  const extra = input.take(extraLength);
  const zip64Sizes = readZip64Sizes(extra, declaredUncompressed, declaredCompressed, name);
  return {
    name,
    ...fixed,
    flags,
    compressedSize: zip64Sizes?.compressedSize ?? declaredCompressed,
    uncompressedSize: zip64Sizes?.uncompressedSize ?? declaredUncompressed,
    hasDataDescriptor: (flags & FLAG_DATA_DESCRIPTOR) !== 0,
    zip64: zip64Sizes !== undefined,
  };
}

/**
 * Finds the Zip64 extra field and takes from it, in order, the uncompressed then the compressed
 * size, each only when the header's 32-bit field is 0xFFFFFFFF (APPNOTE 4.5.3; Go's
 * `archive/zip` reader reads the same way). Returns undefined when there is no such field.
 */
function readZip64Sizes(
  extra: Uint8Array,
  uncompressed32: number,
  compressed32: number,
  name: string,
): { uncompressedSize: number; compressedSize: number } | undefined {
  if (extra.length === 0) return undefined; // git's usual header: no extra field at all
  const view = new DataView(extra.buffer, extra.byteOffset, extra.byteLength);
  for (let at = 0; at + 4 <= extra.length;) {
    const id = view.getUint16(at, true);
    const size = view.getUint16(at + 2, true);
    const body = at + 4;
    if (body + size > extra.length) throw new ZipFormatError(`extra field overruns its header in ${name}`);
    if (id === ZIP64_EXTRA_ID) {
      let field = body;
      const next = (declared: number): number => {
        if (declared !== UINT32_MAX) return declared;
        if (field + 8 > body + size) throw new ZipFormatError(`short Zip64 extra field in ${name}`);
        const value = readUint64(view, field, name);
        field += 8;
        return value;
      };
      const uncompressedSize = next(uncompressed32);
      return { uncompressedSize, compressedSize: next(compressed32) };
    }
    at = body + size;
  }
  return undefined;
}

function readUint64(view: DataView, at: number, what: string): number {
  const value = view.getBigUint64(at, true);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipFormatError(`size beyond 2^53 in ${what}`);
  return Number(value);
}

/** Streams exactly the header's compressed size. */
async function* readKnownLength(input: ChunkQueue, header: ZipEntryHeader): AsyncGenerator<ZipReadEvent, void> {
  let remaining = header.compressedSize;
  while (remaining > 0) {
    await input.require(1, `the data of ${header.name}`);
    const chunk = input.takeFromFront(remaining);
    remaining -= chunk.length;
    yield { kind: 'data', chunk };
  }
}

/**
 * Streams the data of a flag-bit-3 entry and reads its data descriptor. With a compressed size in
 * the header (git's stored streams) the descriptor must follow exactly there; otherwise the data
 * ends at the first signature that `readDescriptorAt` accepts, other signature bytes being data.
 */
async function* readUntilDescriptor(input: ChunkQueue, header: ZipEntryHeader): AsyncGenerator<ZipReadEvent, void> {
  const what = `the data of ${header.name}`;
  if (header.compressedSize > 0) {
    yield* readKnownLength(input, header);
    const trailer = await readDescriptorAt(input, header.compressedSize, header);
    if (!trailer) throw new ZipFormatError(`no data descriptor after ${what}`);
    yield { kind: 'end', trailer };
    return;
  }
  let seen = 0;
  for (;;) {
    await input.require(1, what);
    const front = input.front();
    const found = indexOfDescriptorSignature(front);
    const plainLength = found >= 0 ? found : front.length - signaturePrefixAtEnd(front);
    if (plainLength === 0) {
      // A signature, or the start of one, is at the front of the queue.
      const trailer = await readDescriptorAt(input, seen, header);
      if (trailer) {
        yield { kind: 'end', trailer };
        return;
      }
    }
    // The signature bytes cannot overlap another signature, so all of them are data.
    const chunk = input.takeFromFront(plainLength > 0 ? plainLength : 4);
    seen += chunk.length;
    yield { kind: 'data', chunk };
  }
}

function indexOfDescriptorSignature(bytes: Uint8Array): number {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).indexOf(DESCRIPTOR_SIG_BYTES);
}

/** How many of the last (up to 3) bytes could begin a descriptor signature continued in the next chunk. */
function signaturePrefixAtEnd(bytes: Uint8Array): number {
  for (let length = Math.min(3, bytes.length); length > 0; length--) {
    let matches = true;
    for (let i = 0; i < length && matches; i++) {
      matches = bytes[bytes.length - length + i] === DESCRIPTOR_SIG_BYTES[i];
    }
    if (matches) return length;
  }
  return 0;
}

/**
 * Reads the data descriptor at the front of the queue if there is one for `header` after `seen`
 * compressed bytes: the compressed size equals `seen`, the uncompressed size is the header's
 * (unless that is zero) and a local or central header signature follows. git writes 32-bit sizes
 * unless a size reaches 0xFFFFFFFF (`archive-zip.c` `write_zip_data_desc`), so both layouts are
 * tried. Consumes the descriptor when it is one.
 */
async function readDescriptorAt(
  input: ChunkQueue,
  seen: number,
  header: ZipEntryHeader,
): Promise<ZipEntryTrailer | undefined> {
  for (const sizeBytes of [4, 8]) {
    const length = 8 + 2 * sizeBytes;
    if (!(await input.fill(length + 4))) continue;
    if (input.uint32At(0) !== DATA_DESCRIPTOR_SIG) return undefined;
    const compressedSize = sizeBytes === 4 ? input.uint32At(8) : input.uint64At(8);
    const uncompressedSize = sizeBytes === 4 ? input.uint32At(12) : input.uint64At(16);
    const next = input.uint32At(length);
    if (
      compressedSize === seen &&
      (header.uncompressedSize === 0 || uncompressedSize === header.uncompressedSize) &&
      (next === LOCAL_HEADER_SIG || next === CENTRAL_HEADER_SIG)
    ) {
      const crc32 = input.uint32At(4);
      input.skip(length);
      return { crc32, compressedSize, uncompressedSize };
    }
  }
  return undefined;
}

/**
 * Walks the central directory records, the optional Zip64 end record and locator, and the end
 * record with its comment, which must end the input; their content is not used.
 */
async function skipCentralDirectory(input: ChunkQueue, localEntries: number): Promise<void> {
  let centralEntries = 0;
  for (;;) {
    await input.require(4, 'the central directory');
    if (input.uint32At(0) !== CENTRAL_HEADER_SIG) break;
    await input.require(CENTRAL_HEADER_SIZE, 'a central directory header');
    const variableLength = input.uint16At(28) + input.uint16At(30) + input.uint16At(32);
    await input.skipExactly(CENTRAL_HEADER_SIZE + variableLength, 'a central directory header');
    centralEntries++;
  }
  if (centralEntries !== localEntries) {
    throw new ZipFormatError(`central directory lists ${centralEntries} entries, the archive holds ${localEntries}`);
  }
  if (input.uint32At(0) === ZIP64_END_SIG) {
    await input.require(12, 'the Zip64 end record');
    await input.skipExactly(12 + input.uint64At(4), 'the Zip64 end record');
    await input.require(4, 'the Zip64 locator');
    if (input.uint32At(0) !== ZIP64_LOCATOR_SIG) throw new ZipFormatError('Zip64 end record without locator');
    await input.skipExactly(ZIP64_LOCATOR_SIZE, 'the Zip64 locator');
    await input.require(4, 'the end record');
  }
  if (input.uint32At(0) !== END_SIG) throw new ZipFormatError('bad signature where the end record belongs');
  await input.require(END_SIZE, 'the end record');
  await input.skipExactly(END_SIZE + input.uint16At(20), 'the archive comment');
  if (await input.fill(1)) throw new ZipFormatError('trailing bytes after the end record');
}

/**
 * The unconsumed input: a queue of source chunks, refilled on demand only. Reads that fit in the
 * front chunk are views of it; only reads straddling chunks (headers, a few look-ahead bytes) copy.
 */
class ChunkQueue {
  private readonly source: AsyncIterator<Uint8Array>;
  private readonly chunks: Uint8Array[] = [];
  private offset = 0;
  private available = 0;
  private done = false;

  constructor(source: AsyncIterator<Uint8Array>) {
    this.source = source;
  }

  /** Pulls chunks until `length` bytes are buffered; false if the input ends first. */
  async fill(length: number): Promise<boolean> {
    while (this.available < length) {
      if (this.done) return false;
      const next = await this.source.next();
      if (next.done) {
        this.done = true;
      } else if (next.value.length > 0) {
        this.chunks.push(next.value);
        this.available += next.value.length;
      }
    }
    return true;
  }

  /** Whether `length` bytes are buffered (then `require` would not wait). */
  holds(length: number): boolean {
    return this.available >= length;
  }

  /** Whether the front chunk alone holds `length` unconsumed bytes (always, for 0). */
  frontHolds(length: number): boolean {
    return length === 0 || (this.chunks.length > 0 && this.chunks[0].length - this.offset >= length);
  }

  /** Like `fill`, but a premature end of input is a truncated archive. */
  async require(length: number, what: string): Promise<void> {
    if (!(await this.fill(length))) throw new ZipFormatError(`truncated archive: input ends inside ${what}`);
  }

  /** Consumes `length` bytes, pulling more input as needed. */
  async skipExactly(length: number, what: string): Promise<void> {
    let remaining = length;
    while (remaining > 0) {
      await this.require(1, what);
      remaining -= this.takeFromFront(remaining).length;
    }
  }

  /** The unconsumed part of the front chunk (a view); requires a buffered byte. */
  front(): Uint8Array {
    return this.chunks[0].subarray(this.offset);
  }

  /** Consumes and returns up to `max` bytes from the front chunk, as a view. */
  takeFromFront(max: number): Uint8Array {
    const chunk = this.chunks[0];
    const start = this.offset;
    const end = Math.min(chunk.length, start + max);
    const taken = start === 0 && end === chunk.length ? chunk : chunk.subarray(start, end);
    this.skip(end - start);
    return taken;
  }

  /** Consumes and returns exactly `length` buffered bytes: a view if they lie in one chunk. */
  take(length: number): Uint8Array {
    if (length === 0) return new Uint8Array(0);
    if (this.frontHolds(length)) return this.takeFromFront(length);
    const joined = new Uint8Array(length);
    for (let filled = 0; filled < length;) {
      const part = this.takeFromFront(length - filled);
      joined.set(part, filled);
      filled += part.length;
    }
    return joined;
  }

  /** Drops `length` buffered bytes. */
  skip(length: number): void {
    this.available -= length;
    this.offset += length;
    while (this.chunks.length > 0 && this.offset >= this.chunks[0].length) {
      this.offset -= this.chunks[0].length;
      this.chunks.shift();
    }
  }

  /** The buffered byte at `index` from the front. */
  byteAt(index: number): number {
    let at = this.offset + index;
    for (const chunk of this.chunks) {
      if (at < chunk.length) return chunk[at];
      at -= chunk.length;
    }
    throw new RangeError('read beyond buffered input');
  }

  uint16At(index: number): number {
    const chunk = this.chunks[0];
    const at = this.offset + index;
    if (chunk !== undefined && at + 2 <= chunk.length) return chunk[at] | (chunk[at + 1] << 8);
    return this.byteAt(index) | (this.byteAt(index + 1) << 8);
  }

  uint32At(index: number): number {
    const chunk = this.chunks[0];
    const at = this.offset + index;
    if (chunk !== undefined && at + 4 <= chunk.length) {
      return (chunk[at] | (chunk[at + 1] << 8) | (chunk[at + 2] << 16) | (chunk[at + 3] << 24)) >>> 0;
    }
    return (this.uint16At(index) | (this.uint16At(index + 2) << 16)) >>> 0;
  }

  /** A little-endian 64-bit value; above 2^53 it is rounded, which no real size or offset reaches. */
  uint64At(index: number): number {
    return this.uint32At(index + 4) * 0x100000000 + this.uint32At(index);
  }
}
