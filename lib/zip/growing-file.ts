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
  /** The written bytes from `position` (up to `end`) still held in memory, as one view; undefined when none are. */
  recent?(position: number, end: number): Uint8Array | undefined;
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
      const held = source.recent?.(position, stop);
      if (held !== undefined) {
        position += held.length;
        yield held;
        continue;
      }
      const buffer = Buffer.allocUnsafe(Math.min(READ_BYTES, stop - position));
      const { bytesRead } = await source.handle.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) throw new Error('file ended early');
      position += bytesRead;
      yield buffer.subarray(0, bytesRead);
    }
    if (complete || (end !== undefined && position >= end)) return;
  }
}

/**
 * An open file that one producer appends to, then completes or fails. With `keepRecentBytes`, the
 * chunks last appended (at least that many bytes' worth) are kept in memory as well, and a reader
 * close behind the producer takes them from there instead of reading them back from the file.
 */
export class GrowingFile implements ByteSource {
  readonly handle: FileHandle;
  readonly #keepRecentBytes: number;
  /** The chunks last appended, oldest first, with where each starts in the file. */
  readonly #recent: Array<{ readonly start: number; readonly chunk: Uint8Array }> = [];
  #recentBytes = 0;
  #written = 0;
  #complete = false;
  #failure: { error: unknown } | undefined;
  #waiting: Array<() => void> = [];

  constructor(handle: FileHandle, keepRecentBytes = 0) {
    this.handle = handle;
    this.#keepRecentBytes = keepRecentBytes;
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
    if (this.#keepRecentBytes > 0) this.#keep(chunks);
    this.#written += length;
    this.#wake();
  }

  recent(position: number, end: number): Uint8Array | undefined {
    for (let i = this.#recent.length - 1; i >= 0; i--) {
      const { start, chunk } = this.#recent[i]!;
      if (position >= start + chunk.length) return undefined;
      if (position >= start) return chunk.subarray(position - start, Math.min(chunk.length, end - start));
    }
    return undefined;
  }

  /** Keeps the chunks just written, and drops the oldest beyond the bound. */
  #keep(chunks: readonly Uint8Array[]): void {
    let start = this.#written;
    for (const chunk of chunks) {
      this.#recent.push({ start, chunk });
      this.#recentBytes += chunk.length;
      start += chunk.length;
    }
    while (this.#recentBytes - this.#recent[0]!.chunk.length >= this.#keepRecentBytes) {
      this.#recentBytes -= this.#recent.shift()!.chunk.length;
    }
  }

  /** Nothing more comes: readers end at the bytes written. */
  complete(): void {
    this.#complete = true;
    this.#forgetRecent();
    this.#wake();
  }

  /** The producer failed: every reader's next wait rejects with `error`. */
  fail(error: unknown): void {
    this.#failure = { error };
    this.#forgetRecent();
    this.#wake();
  }

  /** Once the file is whole, readers read it from disk: memory is given back at once. */
  #forgetRecent(): void {
    this.#recent.length = 0;
    this.#recentBytes = 0;
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
