/**
 * Joins the many small pieces of a module zip (a 30-byte header, a file's bytes, a 16-byte
 * descriptor, …) into chunks of `chunkBytes`, so that a socket gets one write per chunk instead of
 * one per piece, and the stream one step per chunk: with thousands of small files the per-piece
 * cost, not the copying, was what limited a zip's speed. Pieces are copied into the chunk being
 * filled as they come (a piece that does not fit continues in the next chunk); a piece of at least
 * `chunkBytes` (a large file's data, as git's pipe delivers it) is passed on whole, uncopied, after
 * what is held so far as a shorter chunk.
 */
export class PieceJoiner {
  readonly #chunkBytes: number;
  /** Chunks ready to be taken, in order. */
  readonly #ready: Uint8Array[] = [];
  /** The chunk being filled, and how much of it is. */
  #filling: Buffer | undefined;
  #filled = 0;

  constructor(chunkBytes: number) {
    this.#chunkBytes = chunkBytes;
  }

  /** Holds `piece` (one passed on whole is not copied: the caller must not reuse its memory). */
  add(piece: Uint8Array): void {
    if (piece.length >= this.#chunkBytes) {
      this.#readyFilled();
      this.#ready.push(piece);
      return;
    }
    for (let from = 0; from < piece.length;) {
      this.#filling ??= Buffer.allocUnsafe(this.#chunkBytes);
      const length = Math.min(piece.length - from, this.#chunkBytes - this.#filled);
      this.#filling.set(length === piece.length ? piece : piece.subarray(from, from + length), this.#filled);
      this.#filled += length;
      from += length;
      if (this.#filled === this.#chunkBytes) {
        this.#ready.push(this.#filling);
        this.#filling = undefined;
        this.#filled = 0;
      }
    }
  }

  /** Whether a whole chunk is ready. */
  get full(): boolean {
    return this.#ready.length > 0;
  }

  /** The next whole chunk; only when `full`. */
  take(): Uint8Array {
    const chunk = this.#ready.shift();
    if (chunk === undefined) throw new Error('piece joiner: no whole chunk to take');
    return chunk;
  }

  /** Everything still held, in order, the last chunk partly filled; the joiner is then empty. */
  *drain(): Generator<Uint8Array> {
    this.#readyFilled();
    while (this.full) yield this.take();
  }

  /** Makes the chunk being filled ready as it is, however short. */
  #readyFilled(): void {
    if (this.#filled > 0) this.#ready.push(this.#filling!.subarray(0, this.#filled));
    this.#filling = undefined;
    this.#filled = 0;
  }
}
