/**
 * Whether an object is in a repository's own object store: a loose object in its `objects/`, or
 * an entry of one of its own packs (`objects/pack/*.idx`), never one found only through
 * `objects/info/alternates` (another repository's objects: a fork's pool, or whatever a new
 * repository at a reused path borrows). git has no switch to look up an object without its
 * alternates, so the store is read here: one `stat` for the loose object, then, per pack, the
 * index's fan-out entry and the slice of sorted object names it points at.
 */
import type { FileHandle } from 'node:fs/promises';
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isAbsence } from '../common/errors.ts';

/** The signature of a version 2 (and later) pack index; a version 1 index has none. */
const INDEX_MAGIC = 0xff744f63;
const FANOUT_BYTES = 256 * 4;

/**
 * A `git gc` or `repack` running meanwhile moves objects from loose files into new packs and then
 * deletes the old ones; a lookup that saw the store mid-way (a pack gone between the listing and its
 * read, an object neither loose any more nor in a pack listed before it was written) looks again, as
 * git itself re-reads its packs before it says an object is missing.
 */
const LOOKUPS = 3;

/** Whether the object `oid` (full hex name) is in `gitDir`'s own object store. */
export async function hasOwnObject(gitDir: string, oid: string): Promise<boolean> {
  const objects = join(gitDir, 'objects');
  const wanted = Buffer.from(oid, 'hex');
  for (let lookup = 1;; lookup++) {
    const found = await lookUp(objects, oid, wanted).catch((error: unknown) => {
      if (isAbsence(error) && lookup < LOOKUPS) return undefined; // a pack deleted under us
      throw error;
    });
    if (found === true || (found === false && lookup >= LOOKUPS - 1)) return found;
  }
}

/** One look at the store: the loose object, then every pack listed now. */
async function lookUp(objects: string, oid: string, wanted: Buffer): Promise<boolean> {
  if (await exists(join(objects, oid.slice(0, 2), oid.slice(2)))) return true;
  const names = await readdir(join(objects, 'pack')).catch((error: unknown) => {
    if (isAbsence(error)) return [];
    throw error;
  });
  for (const name of names) {
    if (name.endsWith('.idx') && (await packIndexHas(join(objects, 'pack', name), wanted))) return true;
  }
  return false;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    (error: unknown) => {
      if (isAbsence(error)) return false;
      throw error;
    },
  );
}

/** Whether the pack index at `path` lists `oid` (raw bytes): version 1 and 2 indexes. */
async function packIndexHas(path: string, oid: Buffer): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const header = await readAt(handle, 0, 8);
    const v2 = header.readUInt32BE(0) === INDEX_MAGIC;
    const fanoutAt = v2 ? 8 : 0;
    const first = oid[0]!;
    const bounds = await readAt(handle, fanoutAt + Math.max(0, first - 1) * 4, first === 0 ? 4 : 8);
    const start = first === 0 ? 0 : bounds.readUInt32BE(0);
    const end = bounds.readUInt32BE(first === 0 ? 0 : 4);
    if (end <= start) return false;
    // Version 2: the sorted names follow the fan-out; version 1: 4-byte offset + name entries.
    const entry = v2 ? oid.length : 4 + oid.length;
    const skip = v2 ? 0 : 4;
    const slice = await readAt(handle, fanoutAt + FANOUT_BYTES + start * entry, (end - start) * entry);
    let lo = 0;
    let hi = end - start;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const at = mid * entry + skip;
      const order = slice.compare(oid, 0, oid.length, at, at + oid.length);
      if (order === 0) return true;
      if (order < 0) lo = mid + 1;
      else hi = mid;
    }
    return false;
  } finally {
    await handle.close();
  }
}

async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buffer, 0, length, position);
  return buffer.subarray(0, bytesRead);
}
