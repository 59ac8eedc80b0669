import assert from 'node:assert/strict';
import { test } from 'node:test';
import { batchChunks } from '../../lib/zip/batch.ts';

async function* from(pieces: readonly number[]): AsyncGenerator<Uint8Array> {
  let next = 0;
  for (const length of pieces) yield Uint8Array.from({ length }, () => next++ % 256);
}

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const chunk of chunks) out.push(chunk);
  return out;
}

test('small pieces are joined into chunks of at least minBytes, bytes and order unchanged', async () => {
  const pieces = [30, 10, 16, 50, 3, 100, 1, 1];
  const chunks = await collect(batchChunks(from(pieces), 64));
  assert.deepEqual(chunks.map((chunk) => chunk.length), [106, 103, 2]);
  const whole = Buffer.concat(await collect(from(pieces)));
  assert.deepEqual(Buffer.concat(chunks), whole);
});

test('a piece at least minBytes long with nothing held passes through as it is', async () => {
  const chunks = await collect(batchChunks(from([200, 10, 70]), 64));
  assert.deepEqual(chunks.map((chunk) => chunk.length), [200, 80]);
});

test('nothing in, nothing out; stopping early closes the source', async () => {
  assert.deepEqual(await collect(batchChunks(from([]), 64)), []);
  let closed = false;
  async function* source(): AsyncGenerator<Uint8Array> {
    try {
      for (;;) yield new Uint8Array(100);
    } finally {
      closed = true;
    }
  }
  for await (const chunk of batchChunks(source(), 64)) {
    assert.equal(chunk.length, 100);
    break;
  }
  assert.equal(closed, true);
});
