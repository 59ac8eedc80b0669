/**
 * Joins the many small pieces of a module zip (a 30-byte header, a file's bytes, a 16-byte
 * descriptor, …) into chunks of at least `minBytes`, so that a socket gets one write per chunk
 * instead of one per piece: with thousands of small files the per-write cost, not the copying,
 * was what limited a zip's speed.
 */
export async function* batchChunks(pieces: AsyncIterable<Uint8Array>, minBytes: number): AsyncGenerator<Uint8Array> {
  let held: Uint8Array[] = [];
  let heldBytes = 0;
  for await (const piece of pieces) {
    if (heldBytes === 0 && piece.length >= minBytes) {
      yield piece;
      continue;
    }
    held.push(piece);
    heldBytes += piece.length;
    if (heldBytes >= minBytes) {
      yield join(held, heldBytes);
      held = [];
      heldBytes = 0;
    }
  }
  if (heldBytes > 0) yield join(held, heldBytes);
}

function join(pieces: readonly Uint8Array[], length: number): Uint8Array {
  return pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces, length);
}
