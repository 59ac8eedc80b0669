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
 * Holding only those, not a whole chunk, lets the first byte go out as soon as the source's does.
 */
export async function* withEndHeldBack(
  chunks: AsyncIterable<Uint8Array>,
  beforeEnd: () => Promise<void>,
): AsyncGenerator<Uint8Array> {
  let held: Uint8Array = new Uint8Array(0);
  for await (const chunk of chunks) {
    if (chunk.length >= END_SIZE) {
      if (held.length > 0) yield held;
      if (chunk.length > END_SIZE) yield chunk.subarray(0, chunk.length - END_SIZE);
      held = chunk.subarray(chunk.length - END_SIZE);
      continue;
    }
    const joined = Buffer.concat([held, chunk]); // a short piece: a short copy
    const cut = Math.max(0, joined.length - END_SIZE);
    if (cut > 0) yield joined.subarray(0, cut);
    held = joined.subarray(cut);
  }
  await beforeEnd();
  if (held.length > 0) yield held;
}
