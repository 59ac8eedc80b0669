/**
 * A streaming zip writer that produces the bytes of an archive front to back, entry by entry.
 *
 * Each method returns the bytes to send next and keeps only the central directory records in
 * memory. Entry data is passed through untouched (`data` only counts it), so an entry copied from
 * another archive keeps its method, CRC and sizes; an entry whose sizes are only known afterwards
 * keeps flag bit 3, the values its source header declared, and a data descriptor after the data,
 * as git writes them (`archive-zip.c`). Names are written as UTF-8 (flag bit 11).
 *
 * Records follow APPNOTE 6.3 and Go's `archive/zip` writer (`writer.go`): Zip64 extra fields in the
 * central directory carry all three of uncompressed size, compressed size and offset once any of
 * them reaches 0xFFFFFFFF, and a Zip64 end record plus locator precede the end record when the
 * entry count reaches 0xFFFF or the directory's size or offset reaches 0xFFFFFFFF
 * (`(*Writer).Close`).
 */

import { crc32 } from './crc32.ts';
import type { ZipEntryTrailer } from './reader.ts';
import {
  CENTRAL_HEADER_SIG,
  CENTRAL_HEADER_SIZE,
  DATA_DESCRIPTOR_SIG,
  END_SIG,
  END_SIZE,
  FLAG_DATA_DESCRIPTOR,
  FLAG_UTF8,
  LOCAL_HEADER_SIG,
  LOCAL_HEADER_SIZE,
  UINT16_MAX,
  UINT32_MAX,
  ZIP64_END_SIG,
  ZIP64_END_SIZE,
  ZIP64_EXTRA_ID,
  ZIP64_LOCATOR_SIG,
  ZIP64_LOCATOR_SIZE,
} from './format.ts';

/** What the writer needs to know about an entry before its data. */
export interface ZipEntryStart {
  /** The entry name; written as UTF-8, at most 65,535 bytes. */
  readonly name: string;
  /** Compression method of the data that will follow (0 stored, 8 deflated). */
  readonly method: number;
  /** MS-DOS time and date fields. */
  readonly dosTime: number;
  readonly dosDate: number;
  /** Flag bit 3: the final CRC and sizes are given to `endEntry` and written in a data descriptor. */
  readonly hasDataDescriptor: boolean;
  /**
   * CRC and sizes for the local header: the final values, or for a data-descriptor entry what is
   * known before the data (git gives the uncompressed size, and the compressed size of stored
   * data, in the headers of the entries it streams; zeros where nothing is known).
   */
  readonly declared: ZipEntryTrailer;
  /** For a data-descriptor entry: its sizes may reach 4 GiB, so use Zip64 fields from the start. */
  readonly zip64?: boolean;
}

const VERSION_DEFAULT = 20;
/** The central directory is written into blocks of this size, kept until the end. */
const CENTRAL_BLOCK_BYTES = 64 << 10;
/** What `endEntry` returns for an entry without a data descriptor. */
const NOTHING = new Uint8Array(0);
const VERSION_ZIP64 = 45;

/** The DOS date of 1980-01-01 00:00, the earliest a zip timestamp can express. */
export const DOS_EPOCH = { dosTime: 0, dosDate: (1 << 5) | 1 } as const;

interface OpenEntry {
  readonly start: ZipEntryStart;
  readonly nameBytes: Uint8Array;
  readonly offset: number;
  readonly zip64Header: boolean;
  dataWritten: number;
}

/** Writes one zip archive; call the methods in archive order and send what each returns. */
export class ZipWriter {
  /**
   * The central directory so far, its records written straight into blocks of bytes: not a record
   * object per entry, of which a module with 100,000 files would hold 100,000 until the end, and
   * not one buffer grown by copying, which leaves each smaller copy behind as garbage.
   */
  private centralBlocks: Buffer[] = [];
  /** Bytes used in the last block. */
  private blockUsed = 0;
  private centralSize = 0;
  private entries = 0;
  private written = 0;
  private open: OpenEntry | undefined;
  private finished = false;

  /** Bytes returned so far. */
  get byteCount(): number {
    return this.written;
  }

  /** Entries completed so far. */
  get entryCount(): number {
    return this.entries;
  }

  /** Begins an entry: returns its local file header. */
  startEntry(start: ZipEntryStart): Uint8Array {
    if (this.open || this.finished) throw new Error(`zip writer: cannot start ${start.name} now`);
    const nameLength = Buffer.byteLength(start.name, 'utf8');
    if (nameLength > UINT16_MAX) {
      throw new Error(`zip writer: name longer than 65535 bytes: ${start.name.slice(0, 80)}…`);
    }
    const { declared } = start;
    const zip64Header = needsZip64(declared.compressedSize, declared.uncompressedSize) ||
      (start.hasDataDescriptor && start.zip64 === true);
    const header = localHeader(start, nameLength, zip64Header);
    // The central record copies the name from the local header: one UTF-8 encoding per entry.
    const nameBytes = header.subarray(LOCAL_HEADER_SIZE, LOCAL_HEADER_SIZE + nameLength);
    this.open = { start, nameBytes, offset: this.written, zip64Header, dataWritten: 0 };
    return this.count(header);
  }

  /** Passes a piece of the open entry's (compressed) data through. */
  data(chunk: Uint8Array): Uint8Array {
    if (!this.open) throw new Error('zip writer: data outside an entry');
    this.open.dataWritten += chunk.length;
    return this.count(chunk);
  }

  /**
   * Ends the open entry. `trailer` is required for a data-descriptor entry, whose descriptor is
   * returned; otherwise the result is empty. The data passed must match the compressed size.
   */
  endEntry(trailer?: ZipEntryTrailer): Uint8Array {
    const entry = this.open;
    if (!entry) throw new Error('zip writer: no entry to end');
    const final = entry.start.hasDataDescriptor ? trailer : entry.start.declared;
    if (!final) throw new Error(`zip writer: ${entry.start.name} needs its data descriptor values`);
    if (final.compressedSize !== entry.dataWritten) {
      throw new Error(
        `zip writer: ${entry.start.name} declares ${final.compressedSize} bytes, got ${entry.dataWritten}`,
      );
    }
    this.open = undefined;
    writeCentralHeader(entry, final, (length) => this.reserveCentral(length));
    this.entries++;
    if (!entry.start.hasDataDescriptor) return NOTHING;
    const wide = entry.zip64Header || needsZip64(final.compressedSize, final.uncompressedSize);
    return this.count(dataDescriptor(final, wide));
  }

  /** A whole stored entry from bytes (header and data), e.g. a LICENSE added to the archive. */
  storedEntry(name: string, data: Uint8Array, time: { dosTime: number; dosDate: number } = DOS_EPOCH): Uint8Array[] {
    const declared = { crc32: crc32(data), compressedSize: data.length, uncompressedSize: data.length };
    const header = this.startEntry({ name, method: 0, ...time, hasDataDescriptor: false, declared });
    const body = this.data(data);
    this.endEntry();
    return [header, body];
  }

  /** Ends the archive: returns the central directory and the end records, in pieces to send in order. */
  finish(): Uint8Array[] {
    if (this.open || this.finished) throw new Error('zip writer: cannot finish now');
    this.finished = true;
    const directoryOffset = this.written;
    const entries = this.entries;
    const zip64 = entries >= UINT16_MAX || this.centralSize >= UINT32_MAX || directoryOffset >= UINT32_MAX;
    const trailer = zip64
      ? [zip64EndRecord(entries, this.centralSize, directoryOffset), zip64Locator(directoryOffset + this.centralSize)]
      : [];
    const end = endRecord(
      zip64 ? UINT16_MAX : entries,
      zip64 ? UINT32_MAX : this.centralSize,
      zip64 ? UINT32_MAX : directoryOffset,
    );
    for (const record of [...trailer, end]) this.reserveCentral(record.length).set(record);
    const pieces = this.centralBlocks.map((
      block,
      i,
      all,
    ) => (i === all.length - 1 ? block.subarray(0, this.blockUsed) : block));
    this.centralBlocks = [];
    for (const piece of pieces) this.count(piece);
    return pieces;
  }

  /**
   * The next `length` bytes of the central directory for a record to be written into: the rest of
   * the last block, or a new block (a record never spans two, so a block may end unused). They are
   * zero: blocks are allocated zeroed and written once.
   */
  private reserveCentral(length: number): Buffer {
    let block = this.centralBlocks.at(-1);
    if (block === undefined || this.blockUsed + length > block.length) {
      if (block !== undefined) this.centralBlocks[this.centralBlocks.length - 1] = block.subarray(0, this.blockUsed);
      block = Buffer.alloc(Math.max(CENTRAL_BLOCK_BYTES, length));
      this.centralBlocks.push(block);
      this.blockUsed = 0;
    }
    const record = block.subarray(this.blockUsed, this.blockUsed + length);
    this.blockUsed += length;
    this.centralSize += length;
    return record;
  }

  private count(bytes: Uint8Array): Uint8Array {
    this.written += bytes.length;
    return bytes;
  }
}

function needsZip64(...values: number[]): boolean {
  return values.some((value) => value >= UINT32_MAX);
}

function flagsOf(start: ZipEntryStart): number {
  return FLAG_UTF8 | (start.hasDataDescriptor ? FLAG_DATA_DESCRIPTOR : 0);
}

/** The local file header; with `zip64` the sizes are 0xFFFFFFFF and given in a Zip64 extra field. */
function localHeader(start: ZipEntryStart, nameLength: number, zip64: boolean): Buffer {
  const { declared } = start;
  const extraLength = zip64 ? 20 : 0;
  const bytes = zeroed(LOCAL_HEADER_SIZE + nameLength + extraLength);
  bytes.writeUInt32LE(LOCAL_HEADER_SIG, 0);
  bytes.writeUInt16LE(zip64 ? VERSION_ZIP64 : VERSION_DEFAULT, 4);
  bytes.writeUInt16LE(flagsOf(start), 6);
  bytes.writeUInt16LE(start.method, 8);
  bytes.writeUInt16LE(start.dosTime, 10);
  bytes.writeUInt16LE(start.dosDate, 12);
  bytes.writeUInt32LE(declared.crc32, 14);
  bytes.writeUInt32LE(zip64 ? UINT32_MAX : declared.compressedSize, 18);
  bytes.writeUInt32LE(zip64 ? UINT32_MAX : declared.uncompressedSize, 22);
  bytes.writeUInt16LE(nameLength, 26);
  bytes.writeUInt16LE(extraLength, 28);
  bytes.write(start.name, LOCAL_HEADER_SIZE, 'utf8');
  if (zip64) {
    writeZip64Extra(bytes, LOCAL_HEADER_SIZE + nameLength, [declared.uncompressedSize, declared.compressedSize]);
  }
  return bytes;
}

/** The data descriptor, with its optional signature, and 64-bit sizes when `wide`. */
function dataDescriptor(trailer: ZipEntryTrailer, wide: boolean): Uint8Array {
  const bytes = zeroed(wide ? 24 : 16);
  bytes.writeUInt32LE(DATA_DESCRIPTOR_SIG, 0);
  bytes.writeUInt32LE(trailer.crc32, 4);
  if (wide) {
    bytes.writeBigUInt64LE(BigInt(trailer.compressedSize), 8);
    bytes.writeBigUInt64LE(BigInt(trailer.uncompressedSize), 16);
  } else {
    bytes.writeUInt32LE(trailer.compressedSize, 8);
    bytes.writeUInt32LE(trailer.uncompressedSize, 12);
  }
  return bytes;
}

/**
 * The central directory header, written into the zeroed bytes `reserve` gives: made by MS-DOS (no
 * unix mode), like Go's `archive/zip` writes.
 */
function writeCentralHeader(entry: OpenEntry, final: ZipEntryTrailer, reserve: (length: number) => Buffer): void {
  const zip64 = needsZip64(final.compressedSize, final.uncompressedSize, entry.offset);
  const version = zip64 || entry.zip64Header ? VERSION_ZIP64 : VERSION_DEFAULT;
  const name = entry.nameBytes;
  const extraLength = zip64 ? 28 : 0;
  const bytes = reserve(CENTRAL_HEADER_SIZE + name.length + extraLength);
  bytes.writeUInt32LE(CENTRAL_HEADER_SIG, 0);
  bytes.writeUInt16LE(version, 4);
  bytes.writeUInt16LE(version, 6);
  bytes.writeUInt16LE(flagsOf(entry.start), 8);
  bytes.writeUInt16LE(entry.start.method, 10);
  bytes.writeUInt16LE(entry.start.dosTime, 12);
  bytes.writeUInt16LE(entry.start.dosDate, 14);
  bytes.writeUInt32LE(final.crc32, 16);
  bytes.writeUInt32LE(zip64 ? UINT32_MAX : final.compressedSize, 20);
  bytes.writeUInt32LE(zip64 ? UINT32_MAX : final.uncompressedSize, 24);
  bytes.writeUInt16LE(name.length, 28);
  bytes.writeUInt16LE(extraLength, 30);
  bytes.writeUInt32LE(zip64 ? UINT32_MAX : entry.offset, 42);
  bytes.set(name, CENTRAL_HEADER_SIZE);
  if (zip64) {
    writeZip64Extra(bytes, CENTRAL_HEADER_SIZE + name.length, [
      final.uncompressedSize,
      final.compressedSize,
      entry.offset,
    ]);
  }
}

/** The zip64 extended information extra field at `at`: its id, its data length, then each value in 64 bits. */
function writeZip64Extra(bytes: Buffer, at: number, values: readonly number[]): void {
  bytes.writeUInt16LE(ZIP64_EXTRA_ID, at);
  bytes.writeUInt16LE(8 * values.length, at + 2);
  values.forEach((value, index) => bytes.writeBigUInt64LE(BigInt(value), at + 4 + 8 * index));
}

function zip64EndRecord(entries: number, directorySize: number, directoryOffset: number): Uint8Array {
  const bytes = zeroed(ZIP64_END_SIZE);
  bytes.writeUInt32LE(ZIP64_END_SIG, 0);
  bytes.writeBigUInt64LE(BigInt(ZIP64_END_SIZE - 12), 4);
  bytes.writeUInt16LE(VERSION_ZIP64, 12);
  bytes.writeUInt16LE(VERSION_ZIP64, 14);
  bytes.writeBigUInt64LE(BigInt(entries), 24);
  bytes.writeBigUInt64LE(BigInt(entries), 32);
  bytes.writeBigUInt64LE(BigInt(directorySize), 40);
  bytes.writeBigUInt64LE(BigInt(directoryOffset), 48);
  return bytes;
}

function zip64Locator(zip64EndOffset: number): Uint8Array {
  const bytes = zeroed(ZIP64_LOCATOR_SIZE);
  bytes.writeUInt32LE(ZIP64_LOCATOR_SIG, 0);
  bytes.writeBigUInt64LE(BigInt(zip64EndOffset), 8);
  bytes.writeUInt32LE(1, 16);
  return bytes;
}

function endRecord(entries: number, directorySize: number, directoryOffset: number): Uint8Array {
  const bytes = zeroed(END_SIZE);
  bytes.writeUInt32LE(END_SIG, 0);
  bytes.writeUInt16LE(entries, 8);
  bytes.writeUInt16LE(entries, 10);
  bytes.writeUInt32LE(directorySize, 12);
  bytes.writeUInt32LE(directoryOffset, 16);
  return bytes;
}

/**
 * A zero-filled buffer for a record; small ones come from Node's buffer pool, which is much
 * cheaper than an ArrayBuffer per record when an archive has tens of thousands of entries.
 */
function zeroed(size: number): Buffer {
  return Buffer.allocUnsafe(size).fill(0);
}
