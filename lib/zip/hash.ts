/**
 * The `h1:` checksums of go.sum: Go's `dirhash.Hash1` (golang/mod `sumdb/dirhash/hash.go`) over a
 * module zip's files and over a version's go.mod, and the two go.sum lines built from them.
 *
 * Hash1 of a set of named files: sort the names by their UTF-8 bytes (Go's `sort.Strings`), write one
 * line `<hex sha256 of content>  <name>\n` per file, and answer `h1:` + base64 of the SHA-256 of
 * those lines. Only names and contents count; entry order, compression and timestamps do not.
 * A zip's hash is folded from the per-file digests its stream reports, as it streams.
 */
import { createHash } from 'node:crypto';
import type { ModuleZipStream } from './source.ts';

/** Hex SHA-256 of some bytes: the per-file digest that {@link Hash1.add} takes. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Incremental `dirhash.Hash1`: add each file's name and content digest in any order, then ask for
 * the digest. For a module zip the names are the full entry names, `<module>@<version>/<path>`.
 * A module of 100,000 files is hashed as it streams, so its records are held until its end: each is
 * its 32-byte digest and its name's UTF-8 bytes side by side in 64 KiB blocks (never copied as they
 * grow, no string or object per file), and three numbers saying where; sorted by index at the end.
 */
export class Hash1 {
  readonly #blocks = new ByteBlocks();
  /** Per file, in the order added: its block, where its digest starts, where its name ends. */
  readonly #records = new NumberBlocks(3);
  /** The first name's bytes, and how many of them every name starts with (skipped when sorting). */
  #first: Uint8Array | undefined;
  #common = 0;

  /**
   * Records one file. Throws on a name Go's Hash1 refuses (a newline, which would forge a line) or
   * one that has no UTF-8 form (a lone surrogate), and on a digest that is not 64 lower-case hex digits.
   */
  add(name: string, sha256HexDigest: string): void {
    if (name.includes('\n')) {
      throw new Error(`dirhash: filenames with newlines are not supported: ${JSON.stringify(name)}`);
    }
    if (/\p{Cs}/u.test(name)) throw new Error(`dirhash: filename is not valid Unicode: ${JSON.stringify(name)}`);
    if (!/^[0-9a-f]{64}$/.test(sha256HexDigest)) {
      throw new Error(`dirhash: not a hex SHA-256 digest: ${JSON.stringify(sha256HexDigest)}`);
    }
    const { block, start, end } = this.#blocks.append(DIGEST_BYTES + Buffer.byteLength(name, 'utf8'), (bytes, at) => {
      bytes.write(sha256HexDigest, at, DIGEST_BYTES, 'hex');
      bytes.write(name, at + DIGEST_BYTES, 'utf8');
    });
    this.#records.push(block, start, end);
    this.#narrowCommon(this.#blocks.at(block), start + DIGEST_BYTES, end);
  }

  /** Keeps `#common` at the length of the prefix every name so far shares with the first. */
  #narrowCommon(bytes: Buffer, start: number, end: number): void {
    if (this.#first === undefined) {
      this.#first = bytes.subarray(start, end);
      this.#common = end - start;
      return;
    }
    const first = this.#first;
    let shared = 0;
    const most = Math.min(this.#common, end - start);
    while (shared < most && first[shared] === bytes[start + shared]) shared++;
    this.#common = shared;
  }

  /** The `h1:` hash of every file added so far. */
  digest(): string {
    const summary = createHash('sha256');
    const lines = new LineWriter((bytes) => summary.update(bytes));
    for (const index of this.#sortedByName()) {
      const records = this.#records;
      const bytes = this.#blocks.at(records.get(index, BLOCK));
      const start = records.get(index, START);
      const end = records.get(index, END);
      lines.writeHex(bytes, start, start + DIGEST_BYTES);
      lines.writeBytes(TWO_SPACES, 0, 2);
      lines.writeBytes(bytes, start + DIGEST_BYTES, end);
      lines.writeBytes(NEWLINE, 0, 1);
    }
    lines.flush();
    return `h1:${summary.digest('base64')}`;
  }

  /** The files' indexes in Go's sort.Strings order of their names: by UTF-8 bytes. */
  #sortedByName(): Uint32Array {
    const order = new Uint32Array(this.#records.length);
    for (let index = 0; index < order.length; index++) order[index] = index;
    const skip = DIGEST_BYTES + this.#common;
    const records = this.#records;
    const blocks = this.#blocks;
    return order.sort((a, b) =>
      compareBytes(
        blocks.at(records.get(a, BLOCK)),
        records.get(a, START) + skip,
        records.get(a, END),
        blocks.at(records.get(b, BLOCK)),
        records.get(b, START) + skip,
        records.get(b, END),
      )
    );
  }
}

const DIGEST_BYTES = 32;
/** The fields of a record in `Hash1`'s records. */
const BLOCK = 0;
const START = 1;
const END = 2;
const TWO_SPACES = Buffer.from('  ');
const NEWLINE = Buffer.from('\n');

/** The order of two byte ranges, as Go compares strings: byte by byte, a prefix first. */
function compareBytes(a: Uint8Array, atA: number, endA: number, b: Uint8Array, atB: number, endB: number): number {
  const length = Math.min(endA - atA, endB - atB);
  for (let offset = 0; offset < length; offset++) {
    const difference = a[atA + offset]! - b[atB + offset]!;
    if (difference !== 0) return difference;
  }
  return endA - atA - (endB - atB);
}

/** Pieces of bytes appended into 64 KiB blocks (a larger one for a larger piece), none copied as more come. */
class ByteBlocks {
  readonly #blocks: Buffer[] = [];
  #used = BLOCK_BYTES;

  /** Reserves `length` bytes in one block, lets `write` fill them at `start`, answers where they are. */
  append(length: number, write: (bytes: Buffer, start: number) => void): { block: number; start: number; end: number } {
    if (this.#blocks.length === 0 || this.#used + length > this.#blocks[this.#blocks.length - 1]!.length) {
      this.#blocks.push(Buffer.allocUnsafe(Math.max(BLOCK_BYTES, length)));
      this.#used = 0;
    }
    const block = this.#blocks.length - 1;
    const start = this.#used;
    write(this.#blocks[block]!, start);
    this.#used += length;
    return { block, start, end: this.#used };
  }

  at(block: number): Buffer {
    return this.#blocks[block]!;
  }
}

/** Records of `width` unsigned 32-bit numbers, kept in blocks of 4,096 records. */
class NumberBlocks {
  readonly #width: number;
  readonly #blocks: Uint32Array[] = [];
  length = 0;

  constructor(width: number) {
    this.#width = width;
  }

  push(...numbers: number[]): void {
    const at = (this.length % RECORDS_PER_BLOCK) * this.#width;
    if (at === 0) this.#blocks.push(new Uint32Array(RECORDS_PER_BLOCK * this.#width));
    const block = this.#blocks[this.#blocks.length - 1]!;
    for (let field = 0; field < this.#width; field++) block[at + field] = numbers[field]!;
    this.length++;
  }

  /** Field `field` of record `index`. */
  get(index: number, field: number): number {
    return this.#blocks[Math.floor(index / RECORDS_PER_BLOCK)]![(index % RECORDS_PER_BLOCK) * this.#width + field]!;
  }
}

const BLOCK_BYTES = 64 * 1024;
const RECORDS_PER_BLOCK = 4096;

/** Bytes gathered into 64 KiB pieces for `sink`, hex-encoded where asked. */
class LineWriter {
  readonly #sink: (bytes: Uint8Array) => void;
  readonly #buffer = Buffer.allocUnsafe(BLOCK_BYTES);
  #used = 0;

  constructor(sink: (bytes: Uint8Array) => void) {
    this.#sink = sink;
  }

  writeBytes(bytes: Uint8Array, start: number, end: number): void {
    if (this.#used + end - start > this.#buffer.length) this.flush();
    if (end - start > this.#buffer.length) this.#sink(bytes.subarray(start, end));
    else {
      this.#buffer.set(bytes.subarray(start, end), this.#used);
      this.#used += end - start;
    }
  }

  writeHex(bytes: Uint8Array, start: number, end: number): void {
    if (this.#used + 2 * (end - start) > this.#buffer.length) this.flush();
    for (let at = start; at < end; at++) {
      this.#buffer[this.#used++] = HEX_DIGITS[bytes[at]! >> 4]!;
      this.#buffer[this.#used++] = HEX_DIGITS[bytes[at]! & 15]!;
    }
  }

  flush(): void {
    if (this.#used > 0) this.#sink(this.#buffer.subarray(0, this.#used));
    this.#used = 0;
  }
}

const HEX_DIGITS = Buffer.from('0123456789abcdef');

/**
 * The hash of a go.mod as go.sum's `/go.mod h1:` line records it (`modfetch.goModSum`): Hash1 over
 * one file named `go.mod` (no module prefix) holding exactly the bytes the `.mod` endpoint serves.
 */
export function hashGoMod(goMod: Uint8Array): string {
  let digest = goModHashes.get(goMod);
  if (digest === undefined) {
    const hash = new Hash1();
    hash.add('go.mod', sha256Hex(goMod));
    digest = hash.digest();
    goModHashes.set(goMod, digest);
  }
  return digest;
}

/**
 * `hashGoMod` answers kept with the bytes they hash: every `.mod` served checks its pin, and the
 * repository's file cache hands out the same bytes for a commit's go.mod, so a 16 MiB go.mod is
 * hashed once while it is cached, not on each request.
 */
const goModHashes = new WeakMap<Uint8Array, string>();

/**
 * The two go.sum lines the go command writes for a module version (`modfetch.WriteGoSum`), zip
 * line first, each ending in a newline:
 * `<module> <version> <zipHash>` and `<module> <version>/go.mod <modHash>`.
 */
export function goSumLines(module: string, version: string, zipHash: string, modHash: string): string {
  return `${module} ${version} ${zipHash}\n${module} ${version}/go.mod ${modHash}\n`;
}

/** Opens a module zip whose streaming reports each file's SHA-256 (zip/source.ts `onFileDigest`). */
export type DigestingZipOpener = (onFileDigest: (name: string, sha256Hex: string) => void) => Promise<ModuleZipStream>;

/** A zip stream whose `h1:` is folded as it streams: `digest()` is the zip's hash once every chunk has been read. */
export interface HashedZipStream extends ModuleZipStream {
  digest(): string;
}

/** Opens a zip through `open`, hashing it as it streams. */
export async function openHashedZip(open: DigestingZipOpener): Promise<HashedZipStream> {
  const hash = new Hash1();
  const stream = await open((name, sha256Hex) => hash.add(name, sha256Hex));
  return { chunks: stream.chunks, cancel: () => stream.cancel(), verdict: stream.verdict, digest: () => hash.digest() };
}

/** The `h1:` of the zip `open` makes: streamed, hashed and dropped (nothing is held in memory or on disk). */
export async function zipHashOf(open: DigestingZipOpener): Promise<string> {
  const zip = await openHashedZip(open);
  for await (const chunk of zip.chunks) void chunk;
  return zip.digest();
}
