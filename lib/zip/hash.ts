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

interface HashedName {
  readonly name: string;
  readonly sha256Hex: string;
}

/**
 * Incremental `dirhash.Hash1`: add each file's name and content digest in any order, then ask for
 * the digest. For a module zip the names are the full entry names, `<module>@<version>/<path>`.
 * A file costs its name and digest strings and one small record (a module of 100,000 files is
 * hashed as it streams, so this is held until its end).
 */
export class Hash1 {
  readonly #files: HashedName[] = [];
  /** Whether some name holds a unit from U+D800 up, where JS's order of strings is not UTF-8's. */
  #beyondD7FF = false;

  /**
   * Records one file. Throws on a name Go's Hash1 refuses (a newline, which would forge a line) or
   * one that has no UTF-8 form (a lone surrogate), and on a digest that is not 64 lower-case hex digits.
   */
  add(name: string, sha256HexDigest: string): void {
    if (name.includes('\n')) throw new Error(`dirhash: filenames with newlines are not supported: ${JSON.stringify(name)}`);
    if (/\p{Cs}/u.test(name)) throw new Error(`dirhash: filename is not valid Unicode: ${JSON.stringify(name)}`);
    if (!/^[0-9a-f]{64}$/.test(sha256HexDigest)) throw new Error(`dirhash: not a hex SHA-256 digest: ${JSON.stringify(sha256HexDigest)}`);
    this.#files.push({ name, sha256Hex: sha256HexDigest });
    this.#beyondD7FF ||= BEYOND_D7FF.test(name);
  }

  /** The `h1:` hash of every file added so far. */
  digest(): string {
    const compare = this.#beyondD7FF ? compareUtf8 : (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    const sorted = [...this.#files].sort((a, b) => compare(a.name, b.name));
    const summary = createHash('sha256');
    for (const file of sorted) summary.update(`${file.sha256Hex}  ${file.name}\n`, 'utf8');
    return `h1:${summary.digest('base64')}`;
  }
}

const BEYOND_D7FF = /[\uD800-\uFFFF]/;

/**
 * Go's sort.Strings order, by UTF-8 bytes, of two well-formed strings, without encoding them. JS
 * compares UTF-16 units, which agrees except where a surrogate (an astral character, above U+FFFF
 * in UTF-8) meets a unit from U+E000 to U+FFFF: at the first differing unit those are moved into
 * code point order (surrogates up by 0x2000, U+E000–U+FFFF down by 0x800).
 */
export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  const length = Math.min(a.length, b.length);
  let at = 0;
  while (at < length && a.charCodeAt(at) === b.charCodeAt(at)) at++;
  if (at === length) return a.length - b.length;
  return codePointOrder(a.charCodeAt(at)) - codePointOrder(b.charCodeAt(at));
}

function codePointOrder(unit: number): number {
  if (unit >= 0xe000) return unit - 0x800;
  if (unit >= 0xd800) return unit + 0x2000;
  return unit;
}

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
