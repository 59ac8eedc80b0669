/**
 * A file followed as it grows (lib/zip/growing-file.ts), written behind its readers: pushed bytes
 * are readable at once, before they are on disk; the producer waits for the disk only past its
 * bound of unwritten bytes; a write that fails fails the producer. (Appending, the spool's way, and
 * readers close behind a build are tested through zip-spool and zip-cache.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GrowingFile } from '../../lib/zip/growing-file.ts';
import { withTempDir } from '../support/temp.ts';

async function readAll(file: GrowingFile, start = 0): Promise<string> {
  const pieces: Uint8Array[] = [];
  for await (const piece of file.read(start)) pieces.push(piece);
  return Buffer.concat(pieces).toString();
}

test('pushed bytes are readable before they are on disk; the producer waits only past its bound', async () => {
  await withTempDir('growing-file', async (dir) => {
    const path = join(dir, 'part');
    const file = new GrowingFile(await open(path, 'w+'), 0, 1 << 20);
    const reading = readAll(file);
    await file.push(Buffer.from('hello '));
    // The write has only been started: the bytes are read from memory.
    assert.equal(file.written, 0);
    assert.deepEqual(await file.progress(0), { available: 6, complete: false });
    assert.equal(file.recent(0, 6)?.toString(), 'hello ');
    await file.push(Buffer.from('world'));
    await file.flush();
    assert.equal(file.written, 11);
    file.complete();
    assert.equal(await reading, 'hello world');
    assert.equal(await readFile(path, 'utf8'), 'hello world');
    // Once on disk and complete, a reader reads the file itself.
    assert.equal(file.recent(0, 11), undefined);
    assert.equal(await readAll(file, 6), 'world');
    await file.handle.close();

    const bounded = new GrowingFile(await open(join(dir, 'bounded'), 'w+'), 0, 4);
    await bounded.push(Buffer.from('more than four bytes'));
    assert.equal(bounded.written, 20, 'past the bound, push waits for the disk');
    await bounded.handle.close();
  });
});

test('a write that fails fails the producer, at its next push or flush', async () => {
  await withTempDir('growing-file', async (dir) => {
    const path = join(dir, 'read-only');
    await writeFile(path, '');
    const file = new GrowingFile(await open(path, 'r'), 0, 1 << 20);
    await file.push(Buffer.from('goes nowhere'));
    await assert.rejects(file.flush(), { code: 'EBADF' });
    await assert.rejects(file.push(Buffer.from('and again')), { code: 'EBADF' });
    await file.handle.close();
  });
});
