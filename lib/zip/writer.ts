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

const LOCAL_HEADER_SIG = 0x04034b50;
const CENTRAL_HEADER_SIG = 0x02014b50;
const DATA_DESCRIPTOR_SIG = 0x08074b50;
const ZIP64_END_SIG = 0x06064b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const END_SIG = 0x06054b50;

const LOCAL_HEADER_SIZE = 30;
const CENTRAL_HEADER_SIZE = 46;
const ZIP64_END_SIZE = 56;
const ZIP64_LOCATOR_SIZE = 20;
const END_SIZE = 22;
const ZIP64_EXTRA_ID = 0x0001;

const FLAG_DATA_DESCRIPTOR = 1 << 3;
const FLAG_UTF8 = 1 << 11;
const VERSION_DEFAULT = 20;
const VERSION_ZIP64 = 45;
const UINT16_MAX = 0xffff;
const UINT32_MAX = 0xffffffff;

/** The DOS date of 1980-01-01 00:00, the earliest a zip timestamp can express. */
export const DOS_EPOCH = { dosTime: 0, dosDate: (1 << 5) | 1 } as const;

const utf8 = new TextEncoder();

interface OpenEntry {
  readonly start: ZipEntryStart;
  readonly nameBytes: Uint8Array;
  readonly offset: number;
  readonly zip64Header: boolean;
  dataWritten: number;
}

/** Writes one zip archive; call the methods in archive order and send what each returns. */
export class ZipWriter {
  private readonly centralRecords: Uint8Array[] = [];
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
    const nameBytes = utf8.encode(start.name);
    if (nameBytes.length > UINT16_MAX) throw new Error(`zip writer: name longer than 65535 bytes: ${start.name.slice(0, 80)}…`);
    const { declared } = start;
    const zip64Header = needsZip64(declared.compressedSize, declared.uncompressedSize) || (start.hasDataDescriptor && start.zip64 === true);
    this.open = { start, nameBytes, offset: this.written, zip64Header, dataWritten: 0 };
    return this.count(localHeader(start, nameBytes, zip64Header));
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
      throw new Error(`zip writer: ${entry.start.name} declares ${final.compressedSize} bytes, got ${entry.dataWritten}`);
    }
    this.open = undefined;
    const record = centralHeader(entry, final);
    this.centralRecords.push(record);
    this.entries++;
    this.centralSize += record.length;
    if (!entry.start.hasDataDescriptor) return new Uint8Array(0);
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

  /** Ends the archive: returns the central directory and the end records. */
  finish(): Uint8Array {
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
    const tail = Buffer.concat([...this.centralRecords, ...trailer, end]);
    this.centralRecords.length = 0;
    return this.count(tail);
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
function localHeader(start: ZipEntryStart, name: Uint8Array, zip64: boolean): Uint8Array {
  const { declared } = start;
  const extraLength = zip64 ? 20 : 0;
  const bytes = new Uint8Array(LOCAL_HEADER_SIZE + name.length + extraLength);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, LOCAL_HEADER_SIG, true);
  view.setUint16(4, zip64 ? VERSION_ZIP64 : VERSION_DEFAULT, true);
  view.setUint16(6, flagsOf(start), true);
  view.setUint16(8, start.method, true);
  view.setUint16(10, start.dosTime, true);
  view.setUint16(12, start.dosDate, true);
  view.setUint32(14, declared.crc32, true);
  view.setUint32(18, zip64 ? UINT32_MAX : declared.compressedSize, true);
  view.setUint32(22, zip64 ? UINT32_MAX : declared.uncompressedSize, true);
  view.setUint16(26, name.length, true);
  view.setUint16(28, extraLength, true);
  bytes.set(name, LOCAL_HEADER_SIZE);
  if (zip64) {
    const at = LOCAL_HEADER_SIZE + name.length;
    view.setUint16(at, ZIP64_EXTRA_ID, true);
    view.setUint16(at + 2, 16, true);
    setUint64(view, at + 4, declared.uncompressedSize);
    setUint64(view, at + 12, declared.compressedSize);
  }
  return bytes;
}

/** The data descriptor, with its optional signature, and 64-bit sizes when `wide`. */
function dataDescriptor(trailer: ZipEntryTrailer, wide: boolean): Uint8Array {
  const bytes = new Uint8Array(wide ? 24 : 16);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, DATA_DESCRIPTOR_SIG, true);
  view.setUint32(4, trailer.crc32, true);
  if (wide) {
    setUint64(view, 8, trailer.compressedSize);
    setUint64(view, 16, trailer.uncompressedSize);
  } else {
    view.setUint32(8, trailer.compressedSize, true);
    view.setUint32(12, trailer.uncompressedSize, true);
  }
  return bytes;
}

/** The central directory header: made by MS-DOS (no unix mode), like Go's `archive/zip` writes. */
function centralHeader(entry: OpenEntry, final: ZipEntryTrailer): Uint8Array {
  const zip64 = needsZip64(final.compressedSize, final.uncompressedSize, entry.offset);
  const version = zip64 || entry.zip64Header ? VERSION_ZIP64 : VERSION_DEFAULT;
  const name = entry.nameBytes;
  const extraLength = zip64 ? 28 : 0;
  const bytes = new Uint8Array(CENTRAL_HEADER_SIZE + name.length + extraLength);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, CENTRAL_HEADER_SIG, true);
  view.setUint16(4, version, true);
  view.setUint16(6, version, true);
  view.setUint16(8, flagsOf(entry.start), true);
  view.setUint16(10, entry.start.method, true);
  view.setUint16(12, entry.start.dosTime, true);
  view.setUint16(14, entry.start.dosDate, true);
  view.setUint32(16, final.crc32, true);
  view.setUint32(20, zip64 ? UINT32_MAX : final.compressedSize, true);
  view.setUint32(24, zip64 ? UINT32_MAX : final.uncompressedSize, true);
  view.setUint16(28, name.length, true);
  view.setUint16(30, extraLength, true);
  view.setUint32(42, zip64 ? UINT32_MAX : entry.offset, true);
  bytes.set(name, CENTRAL_HEADER_SIZE);
  if (zip64) {
    const at = CENTRAL_HEADER_SIZE + name.length;
    view.setUint16(at, ZIP64_EXTRA_ID, true);
    view.setUint16(at + 2, 24, true);
    setUint64(view, at + 4, final.uncompressedSize);
    setUint64(view, at + 12, final.compressedSize);
    setUint64(view, at + 20, entry.offset);
  }
  return bytes;
}

function zip64EndRecord(entries: number, directorySize: number, directoryOffset: number): Uint8Array {
  const bytes = new Uint8Array(ZIP64_END_SIZE);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, ZIP64_END_SIG, true);
  setUint64(view, 4, ZIP64_END_SIZE - 12);
  view.setUint16(12, VERSION_ZIP64, true);
  view.setUint16(14, VERSION_ZIP64, true);
  setUint64(view, 24, entries);
  setUint64(view, 32, entries);
  setUint64(view, 40, directorySize);
  setUint64(view, 48, directoryOffset);
  return bytes;
}

function zip64Locator(zip64EndOffset: number): Uint8Array {
  const bytes = new Uint8Array(ZIP64_LOCATOR_SIZE);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, ZIP64_LOCATOR_SIG, true);
  setUint64(view, 8, zip64EndOffset);
  view.setUint32(16, 1, true);
  return bytes;
}

function endRecord(entries: number, directorySize: number, directoryOffset: number): Uint8Array {
  const bytes = new Uint8Array(END_SIZE);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, END_SIG, true);
  view.setUint16(8, entries, true);
  view.setUint16(10, entries, true);
  view.setUint32(12, directorySize, true);
  view.setUint32(16, directoryOffset, true);
  return bytes;
}

function setUint64(view: DataView, at: number, value: number): void {
  view.setBigUint64(at, BigInt(value), true);
}
