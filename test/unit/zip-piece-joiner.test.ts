import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PieceJoiner } from '../../lib/zip/piece-joiner.ts';

function pieces(lengths: readonly number[]): Uint8Array[] {
  let next = 0;
  return lengths.map((length) => Uint8Array.from({ length }, () => next++ % 256));
}

/** What a consumer gets that takes a chunk whenever one is full, and the rest at the end. */
function join(input: readonly Uint8Array[], minBytes: number): Uint8Array[] {
  const joiner = new PieceJoiner(minBytes);
  const out: Uint8Array[] = [];
  for (const piece of input) {
    joiner.add(piece);
    if (joiner.full) out.push(joiner.take());
  }
  if (joiner.heldBytes > 0) out.push(joiner.take());
  return out;
}

test('small pieces are joined into chunks of at least minBytes, bytes and order unchanged', () => {
  const input = pieces([30, 10, 16, 50, 3, 100, 1, 1]);
  const chunks = join(input, 64);
  assert.deepEqual(chunks.map((chunk) => chunk.length), [106, 103, 2]);
  assert.deepEqual(Buffer.concat(chunks), Buffer.concat(input));
});

test('a piece at least minBytes long with nothing held passes through as it is, not copied', () => {
  const input = pieces([200, 10, 70]);
  const chunks = join(input, 64);
  assert.deepEqual(chunks.map((chunk) => chunk.length), [200, 80]);
  assert.equal(chunks[0], input[0]);
});

test('empty pieces are dropped; nothing in, nothing out', () => {
  assert.deepEqual(join([], 64), []);
  const joiner = new PieceJoiner(1);
  joiner.add(new Uint8Array(0));
  assert.equal(joiner.full, false);
  assert.equal(joiner.heldBytes, 0);
});
