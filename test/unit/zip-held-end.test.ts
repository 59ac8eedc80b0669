/**
 * The zip end held back (lib/zip/held-end.ts): whatever the chunking, every byte goes on in order,
 * the last END_SIZE only after `beforeEnd`, the first chunk's other bytes at once, and no chunk of
 * END_SIZE or more is cut in two after the first.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { END_SIZE } from '../../lib/zip/format.ts';
import { withEndHeldBack } from '../../lib/zip/held-end.ts';
import { seededRandom } from '../support/random.ts';

async function* source(chunks: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  yield* chunks;
}

/** What comes out, and how many bytes had come out when `beforeEnd` was called. */
async function passOn(chunks: readonly Uint8Array[]): Promise<{ out: Uint8Array[]; atEnd: number | undefined }> {
  const out: Uint8Array[] = [];
  let atEnd: number | undefined;
  const beforeEnd = () => {
    atEnd = out.reduce((sum, piece) => sum + piece.length, 0);
    return Promise.resolve();
  };
  for await (const piece of withEndHeldBack(source(chunks), beforeEnd)) out.push(piece);
  return { out, atEnd };
}

test('every byte in order, the last END_SIZE after beforeEnd, whatever the chunking', async () => {
  const random = seededRandom(7);
  for (let round = 0; round < 200; round++) {
    const total = Math.floor(random() * 300);
    const bytes = Uint8Array.from({ length: total }, () => Math.floor(random() * 256));
    const chunks: Uint8Array[] = [];
    for (let at = 0; at < total || chunks.length === 0;) {
      const size = Math.floor(random() * (random() < 0.5 ? 30 : 120));
      chunks.push(bytes.subarray(at, at + size));
      at += size;
    }
    const { out, atEnd } = await passOn(chunks);
    assert.deepEqual(Buffer.concat(out), Buffer.from(bytes), `round ${round}`);
    assert.equal(atEnd, Math.max(0, total - END_SIZE), `round ${round}`);
  }
});

test('the first chunk goes at once but its end; later chunks go whole, one behind', async () => {
  const chunk = (size: number, fill: number) => new Uint8Array(size).fill(fill);
  const { out } = await passOn([chunk(100, 1), chunk(100, 2), chunk(100, 3), chunk(5, 4)]);
  assert.deepEqual(out.map((piece) => [piece.length, piece[0]]), [
    [100 - END_SIZE, 1],
    [END_SIZE, 1],
    [100, 2],
    [100 - END_SIZE + 5, 3],
    [END_SIZE, 3],
  ]);
  const whole = await passOn([chunk(100, 1), chunk(100, 2), chunk(100, 3)]);
  assert.deepEqual(whole.out.map((piece) => piece.length), [100 - END_SIZE, END_SIZE, 100, 100 - END_SIZE, END_SIZE]);
  assert.equal(whole.atEnd, 300 - END_SIZE);
});
