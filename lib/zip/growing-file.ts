/**
 * A file written front to back by one producer while readers follow it, each at its own pace: the
 * zip cache's builds (cache.ts) and the spool of a client that fell behind git (spool.ts). Readers
 * wait for bytes not yet written, and see the producer's failure as an error.
 */
import type { FileHandle } from 'node:fs/promises';

/** Where a reader's bytes come from: a file, and how much of it is written. */
export interface ByteSource {
  readonly handle: FileHandle;
  /** Resolves once more than `position` bytes are written or the file is complete; rejects if the producer failed. */
  progress(position: number): Promise<{ written: number; complete: boolean }>;
}

const READ_BYTES = 256 << 10;

/** The bytes of `source` from `start` up to, not including, `end` (default: its end once complete), in blocks of at most 256 KiB. */
export async function* readBytes(
  source: ByteSource,
  start: number,
  end: number | undefined,
): AsyncGenerator<Uint8Array> {
  let position = start;
  for (;;) {
    const { written, complete } = await source.progress(position);
    const stop = Math.min(end ?? written, written);
    while (position < stop) {
      const buffer = Buffer.allocUnsafe(Math.min(READ_BYTES, stop - position));
      const { bytesRead } = await source.handle.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) throw new Error('file ended early');
      position += bytesRead;
      yield buffer.subarray(0, bytesRead);
    }
    if (complete || (end !== undefined && position >= end)) return;
  }
}

/** An open file that one producer appends to, then completes or fails. */
export class GrowingFile implements ByteSource {
  readonly handle: FileHandle;
  #written = 0;
  #complete = false;
  #failure: { error: unknown } | undefined;
  #waiting: Array<() => void> = [];

  constructor(handle: FileHandle) {
    this.handle = handle;
  }

  /** Bytes written so far. */
  get written(): number {
    return this.#written;
  }

  /** Whether the producer is done, by completing or failing. */
  get over(): boolean {
    return this.#complete || this.#failure !== undefined;
  }

  /** Writes `chunk` (or several, in one call) at the end and wakes the readers waiting for it. */
  async append(chunk: Uint8Array | readonly Uint8Array[]): Promise<void> {
    const chunks = chunk instanceof Uint8Array ? [chunk] : chunk;
    const { bytesWritten } = await this.handle.writev(chunks as Uint8Array[], this.#written);
    const length = chunks.reduce((sum, piece) => sum + piece.length, 0);
    if (bytesWritten !== length) throw new Error(`short write: ${bytesWritten} of ${length} bytes`);
    this.#written += length;
    this.#wake();
  }

  /** Nothing more comes: readers end at the bytes written. */
  complete(): void {
    this.#complete = true;
    this.#wake();
  }

  /** The producer failed: every reader's next wait rejects with `error`. */
  fail(error: unknown): void {
    this.#failure = { error };
    this.#wake();
  }

  progress(position: number): Promise<{ written: number; complete: boolean }> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (this.#failure !== undefined) reject(this.#failure.error);
        else if (this.#written > position || this.#complete) {
          resolve({ written: this.#written, complete: this.#complete });
        } else this.#waiting.push(check);
      };
      check();
    });
  }

  /** The bytes from `start` up to `end` (default: the end, once complete), as they are written. */
  read(start = 0, end?: number): AsyncGenerator<Uint8Array> {
    return readBytes(this, start, end);
  }

  #wake(): void {
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const check of waiting) check();
  }
}
