/**
 * Joins the many small pieces of a module zip (a 30-byte header, a file's bytes, a 16-byte
 * descriptor, …) into chunks of at least `minBytes`, so that a socket gets one write per chunk
 * instead of one per piece, and the stream one step per chunk: with thousands of small files the
 * per-piece cost, not the copying, was what limited a zip's speed.
 */
export class PieceJoiner {
  readonly #minBytes: number;
  #held: Uint8Array[] = [];
  #heldBytes = 0;

  constructor(minBytes: number) {
    this.#minBytes = minBytes;
  }

  /** Bytes held, not yet taken. */
  get heldBytes(): number {
    return this.#heldBytes;
  }

  /** Holds `piece` (a view is kept, not a copy: the caller must not reuse its memory). */
  add(piece: Uint8Array): void {
    if (piece.length === 0) return;
    this.#held.push(piece);
    this.#heldBytes += piece.length;
  }

  /** Whether a chunk of at least `minBytes` is ready. */
  get full(): boolean {
    return this.#heldBytes >= this.#minBytes;
  }

  /** Everything held, as one chunk (the piece itself when only one is held). */
  take(): Uint8Array {
    const held = this.#held;
    const chunk = held.length === 1 ? held[0]! : Buffer.concat(held, this.#heldBytes);
    this.#held = [];
    this.#heldBytes = 0;
    return chunk;
  }
}
