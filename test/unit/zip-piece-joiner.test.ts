/**
 * The piece joiner (lib/zip/piece-joiner.ts) that turns many small output pieces into chunks of a
 * set size without copying large ones: order and bytes unchanged, empty pieces dropped, misuse refused.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PieceJoiner } from '../../lib/zip/piece-joiner.ts';

function pieces(lengths: readonly number[]): Uint8Array[] {
  let next = 0;
  return lengths.map((length) => Uint8Array.from({ length }, () => next++ % 256));
}

/** What a consumer gets that takes every whole chunk as soon as it is ready, and drains at the end. */
function join(input: readonly Uint8Array[], chunkBytes: number): Uint8Array[] {
  const joiner = new PieceJoiner(chunkBytes);
  const out: Uint8Array[] = [];
  for (const piece of input) {
    joiner.add(piece);
    while (joiner.full) out.push(joiner.take());
  }
  out.push(...joiner.drain());
  return out;
}

test('short pieces are joined into chunks of chunkBytes, a piece that does not fit going on in the next; bytes and order unchanged', () => {
  const input = pieces([30, 10, 16, 50, 3, 60, 1, 1]);
  const chunks = join(input, 64);
  assert.deepEqual(chunks.map((chunk) => chunk.length), [64, 64, 43]);
  assert.deepEqual(Buffer.concat(chunks), Buffer.concat(input));
});

test('a piece of at least chunkBytes passes through as it is, not copied, after what is held', () => {
  const input = pieces([200, 10, 70, 64, 5]);
  const chunks = join(input, 64);
  assert.deepEqual(chunks.map((chunk) => chunk.length), [200, 10, 70, 64, 5]);
  assert.equal(chunks[0], input[0]);
  assert.equal(chunks[2], input[2], 'with bytes held, they go first as a shorter chunk');
  assert.equal(chunks[3], input[3]);
  assert.deepEqual(Buffer.concat(chunks), Buffer.concat(input));
});

test('empty pieces are dropped; nothing in, nothing out; take without a whole chunk is a misuse', () => {
  assert.deepEqual(join([], 64), []);
  const joiner = new PieceJoiner(1);
  joiner.add(new Uint8Array(0));
  assert.equal(joiner.full, false);
  assert.deepEqual([...joiner.drain()], []);
  assert.throws(() => joiner.take(), /no whole chunk/);
});
