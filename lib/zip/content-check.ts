/**
 * One zip entry's uncompressed bytes, followed as its stored bytes stream: their SHA-256 (what
 * `dirhash.Hash1` takes per file), their CRC-32 and size checked against the archive's. Used for
 * the zips this server makes (module-zip.ts) and for zips an upstream proxy made (zip-hasher.ts).
 */
import { createHash, type Hash } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { Inflate } from 'fflate';
import { crc32 } from './crc32.ts';
import { METHOD_DEFLATE } from './format.ts';
import { type ZipEntryTrailer, ZipFormatError } from './reader.ts';

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
export class ContentCheck {
  private readonly name: string;
  private readonly deflated: boolean;
  /** The uncompressed size the header declares. */
  private readonly declaredSize: number;
  private readonly sha256: Hash = createHash('sha256');
  private inflater: Inflate | undefined;
  private inflatedWhole = false;
  /** Undefined when the CRC-32 is not checked. */
  private crc: number | undefined;
  private size = 0;

  /**
   * `checkCrc: false` skips the CRC-32 (a third of the work for stored data): for a zip whose
   * content only needs its `h1:`, which the sizes and SHA-256 decide; the go command checks the
   * CRC-32 itself when it extracts the zip.
   */
  constructor(name: string, method: number, declaredSize: number, checkCrc = true) {
    this.crc = checkCrc ? 0 : undefined;
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
    if (this.size !== trailer.uncompressedSize || (this.crc !== undefined && this.crc !== trailer.crc32)) {
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
    if (this.crc !== undefined) this.crc = crc32(bytes, this.crc);
    this.size += bytes.length;
  }
}
