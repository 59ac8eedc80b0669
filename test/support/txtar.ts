/**
 * Reads golang/mod's zip test vectors (x/tools `txtar` archives from `golang.org/x/mod/zip/testdata/`)
 * as bytes, the way x/tools `txtar.Parse` does. The vectors are not part of this repository: they
 * are an extra check that runs when a copy sits at `../shared/testdata/x-mod/` beside the project,
 * and tests that use them pass `{ skip: X_MOD_SKIP }` so a plain clone shows them as skipped, with
 * the reason. The project's own rule table (zip-rule-cases.ts) covers the same rules either way.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** One file of a txtar archive. */
export interface TxtarFile {
  readonly name: string;
  readonly data: Buffer;
}

/** A parsed x/mod zip vector: its `key=value` header and its files. */
export interface ZipVector {
  /** `<dir>/<file>` under the vectors directory, e.g. `create/simple.txt`. */
  readonly id: string;
  readonly modulePath: string;
  readonly version: string;
  readonly hash: string;
  readonly files: readonly TxtarFile[];
}

/** The x/mod vectors directory: `../shared/testdata/x-mod/` relative to the project root. */
export const X_MOD_VECTORS = fileURLToPath(new URL('../../../shared/testdata/x-mod/', import.meta.url));

/** `false` when the vectors are there; otherwise the reason a test that needs them is skipped. */
export const X_MOD_SKIP: false | string = existsSync(X_MOD_VECTORS)
  ? false
  : `x/mod zip vectors not found at ${X_MOD_VECTORS} (not shipped with the project; zip-rule-cases.ts covers the same rules)`;

const MARKER = Buffer.from('-- ');
const MARKER_END = Buffer.from(' --');
const NEWLINE_MARKER = Buffer.from('\n-- ');

/** x/tools `txtar.Parse`: the comment before the first `-- name --` line, then each file's data. */
export function parseTxtar(archive: Buffer): { comment: Buffer; files: TxtarFile[] } {
  const files: TxtarFile[] = [];
  let { before: comment, name, after } = findFileMarker(archive);
  while (name !== undefined) {
    const next = findFileMarker(after);
    files.push({ name, data: next.before });
    ({ name, after } = next);
  }
  return { comment, files };
}

function findFileMarker(data: Buffer): { before: Buffer; name?: string; after: Buffer } {
  let at = 0;
  for (;;) {
    const marker = markerAt(data.subarray(at));
    if (marker) return { before: data.subarray(0, at), name: marker.name, after: marker.after };
    const newline = data.indexOf(NEWLINE_MARKER, at);
    if (newline < 0) return { before: withFinalNewline(data), after: Buffer.alloc(0) };
    at = newline + 1;
  }
}

function markerAt(data: Buffer): { name: string; after: Buffer } | undefined {
  if (!data.subarray(0, MARKER.length).equals(MARKER)) return undefined;
  const newline = data.indexOf(0x0a);
  const line = newline < 0 ? data : data.subarray(0, newline);
  const after = newline < 0 ? Buffer.alloc(0) : data.subarray(newline + 1);
  if (line.length < MARKER.length + MARKER_END.length) return undefined;
  if (!line.subarray(line.length - MARKER_END.length).equals(MARKER_END)) return undefined;
  const name = line.subarray(MARKER.length, line.length - MARKER_END.length).toString('utf8').trim();
  return name === '' ? undefined : { name, after };
}

function withFinalNewline(data: Buffer): Buffer {
  return data.length === 0 || data[data.length - 1] === 0x0a ? data : Buffer.concat([data, Buffer.from('\n')]);
}

/** Every vector in `<X_MOD_VECTORS>/<dir>/`, parsed, with its `path=`, `version=`, `hash=` header. */
export function readZipVectors(dir: 'create' | 'create_from_dir' | 'unzip'): ZipVector[] {
  const directory = path.join(X_MOD_VECTORS, dir);
  return readdirSync(directory)
    .filter((name) => name.endsWith('.txt'))
    .sort()
    .map((name) => toVector(`${dir}/${name}`, readFileSync(path.join(directory, name))));
}

function toVector(id: string, archive: Buffer): ZipVector {
  const { comment, files } = parseTxtar(archive);
  const header = new Map<string, string>();
  for (const line of comment.toString('utf8').split('\n')) {
    const text = line.trim();
    if (text === '' || text.startsWith('#')) continue;
    const equals = text.indexOf('=');
    if (equals < 0) throw new Error(`${id}: header line without '=': ${text}`);
    header.set(text.slice(0, equals).trim(), text.slice(equals + 1).trim());
  }
  const field = (key: string): string => {
    const value = header.get(key);
    if (value === undefined) throw new Error(`${id}: no ${key}= in header`);
    return value;
  };
  return { id, modulePath: field('path'), version: field('version'), hash: field('hash'), files };
}
