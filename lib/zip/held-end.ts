/**
 * A zip passed on with its end record held back: every byte as it comes but the last END_SIZE (the
 * end of central directory record, without which no zip reader opens the zip), which go out only
 * once `beforeEnd` resolves. A zip whose check fails there is never complete for anyone: the pin
 * guard holds a zip until its `h1:` is pinned, the upstream cache until an upstream's zip is hashed
 * and pinned.
 */
import { END_SIZE } from './format.ts';

/**
 * Yields `chunks` less their last END_SIZE bytes, then awaits `beforeEnd`, then yields those bytes.
 * The first chunk goes out at once but for its last END_SIZE bytes, so the first byte leaves as
 * soon as the source's does; after it each chunk is held whole until the next one comes, so that
 * the chunks go on as they came (not cut in two, nor copied), one behind; the last is cut.
 */
export async function* withEndHeldBack(
  chunks: AsyncIterable<Uint8Array>,
  beforeEnd: () => Promise<void>,
): AsyncGenerator<Uint8Array> {
  let held: Uint8Array | undefined;
  for await (const chunk of chunks) {
    if (held === undefined) {
      const cut = Math.max(0, chunk.length - END_SIZE);
      if (cut > 0) yield chunk.subarray(0, cut);
      held = chunk.subarray(cut);
    } else if (chunk.length >= END_SIZE) {
      if (held.length > 0) yield held;
      held = chunk;
    } else {
      // A short piece: pass on what the held bytes have beyond the END_SIZE the two make together.
      const cut = Math.max(0, held.length + chunk.length - END_SIZE);
      if (cut > 0) yield held.subarray(0, cut);
      held = Buffer.concat([held.subarray(cut), chunk]); // at most END_SIZE bytes
    }
  }
  if (held !== undefined && held.length > END_SIZE) {
    yield held.subarray(0, held.length - END_SIZE);
    held = held.subarray(held.length - END_SIZE);
  }
  await beforeEnd();
  if (held !== undefined && held.length > 0) yield held;
}
