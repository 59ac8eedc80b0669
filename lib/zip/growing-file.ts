/**
 * A file written front to back by one producer while readers follow it, each at its own pace: the
 * zip cache's builds (cache.ts) and the spool of a client that fell behind git (spool.ts). Readers
 * wait for bytes not yet there, and see the producer's failure as an error.
 */
import type { FileHandle } from 'node:fs/promises';

/** Where a reader's bytes come from: a file, and how much of it may be read. */
export interface ByteSource {
  readonly handle: FileHandle;
  /**
   * Resolves once more than `position` bytes may be read (on disk, or still in memory), or the
   * file is complete; rejects if the producer failed.
   */
  progress(position: number): Promise<{ available: number; complete: boolean }>;
  /**
   * The bytes from `position` (up to `end`) held in memory, as one view; undefined when none are
   * (then they are on disk).
   */
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
    const { available, complete } = await source.progress(position);
    const stop = Math.min(end ?? available, available);
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
 *
 * A producer either `append`s (each chunk is readable once it is on disk: the spool) or `push`es
 * (each chunk is readable at once, from memory, and written behind: the zip cache's builds, whose
 * readers are then never held up by the disk, only the producer, once `maxUnwrittenBytes` wait
 * for it). The chunks not yet written are kept in memory whatever `keepRecentBytes` says.
 */
export class GrowingFile implements ByteSource {
  readonly handle: FileHandle;
  readonly #keepRecentBytes: number;
  readonly #maxUnwrittenBytes: number;
  /** The chunks last taken, oldest first, with where each starts in the file. */
  readonly #recent: Array<{ readonly start: number; readonly chunk: Uint8Array }> = [];
  #recentBytes = 0;
  /** Bytes readers may read: on disk, or still in memory. */
  #available = 0;
  /** Bytes on disk. */
  #written = 0;
  /** Chunks pushed and not yet being written. */
  #pending: Uint8Array[] = [];
  /** The write under way of the chunks pushed before, if any. */
  #writing: Promise<void> | undefined;
  #writeFailure: { error: unknown } | undefined;
  #complete = false;
  #failure: { error: unknown } | undefined;
  #waiting: Array<() => void> = [];

  constructor(handle: FileHandle, keepRecentBytes = 0, maxUnwrittenBytes = 0) {
    this.handle = handle;
    this.#keepRecentBytes = keepRecentBytes;
    this.#maxUnwrittenBytes = maxUnwrittenBytes;
  }

  /** Bytes written to the file so far. */
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
    await this.#write(chunks);
    if (this.#keepRecentBytes > 0) this.#keep(chunks);
    this.#available = this.#written;
    this.#wake();
  }

  /**
   * Takes `chunk` (not copied: the caller must not change it): readable at once, written to the
   * file behind it, the chunks taken meanwhile together (one `writev`). Resolves at once while
   * fewer than `maxUnwrittenBytes` wait for the disk, else once they are written; rejects when a
   * write failed.
   */
  async push(chunk: Uint8Array): Promise<void> {
    this.#throwWriteFailure();
    this.#keep([chunk]);
    this.#pending.push(chunk);
    this.#wake();
    this.#writeBehind();
    while (this.#available - this.#written > this.#maxUnwrittenBytes && this.#writing !== undefined) {
      await this.#writing;
    }
    this.#throwWriteFailure();
  }

  /** Resolves once every chunk pushed is on disk; rejects when a write failed. */
  async flush(): Promise<void> {
    while (this.#writing !== undefined) await this.#writing;
    this.#throwWriteFailure();
  }

  #throwWriteFailure(): void {
    if (this.#writeFailure !== undefined) throw this.#writeFailure.error;
  }

  recent(position: number, end: number): Uint8Array | undefined {
    for (let i = this.#recent.length - 1; i >= 0; i--) {
      const { start, chunk } = this.#recent[i]!;
      if (position >= start + chunk.length) return undefined;
      if (position >= start) return chunk.subarray(position - start, Math.min(chunk.length, end - start));
    }
    return undefined;
  }

  /** Starts writing the pending chunks, unless a write is under way (its end starts the next). */
  #writeBehind(): void {
    if (this.#writing !== undefined || this.#pending.length === 0 || this.#writeFailure !== undefined) return;
    const pieces = this.#pending;
    this.#pending = [];
    this.#writing = this.#write(pieces).then(
      () => {
        this.#writing = undefined;
        this.#trim();
        this.#writeBehind();
      },
      (error: unknown) => {
        this.#writing = undefined;
        this.#writeFailure = { error };
      },
    );
  }

  /** Writes chunks at the end of what is on disk. */
  async #write(chunks: readonly Uint8Array[]): Promise<void> {
    const { bytesWritten } = await this.handle.writev(chunks as Uint8Array[], this.#written);
    const length = chunks.reduce((sum, piece) => sum + piece.length, 0);
    if (bytesWritten !== length) throw new Error(`short write: ${bytesWritten} of ${length} bytes`);
    this.#written += length;
  }

  /** Keeps chunks just taken (they start at `#available`, which they extend). */
  #keep(chunks: readonly Uint8Array[]): void {
    for (const chunk of chunks) {
      this.#recent.push({ start: this.#available, chunk });
      this.#recentBytes += chunk.length;
      this.#available += chunk.length;
    }
    this.#trim();
  }

  /** Drops the oldest chunks kept that are on disk and beyond the bound. */
  #trim(): void {
    for (let first = this.#recent[0]; first !== undefined; first = this.#recent[0]) {
      const onDisk = first.start + first.chunk.length <= this.#written;
      if (!onDisk || this.#recentBytes - first.chunk.length < this.#keepRecentBytes) return;
      this.#recentBytes -= first.chunk.length;
      this.#recent.shift();
    }
  }

  /** Nothing more comes: readers end at the bytes taken (pushed ones: `flush()` first). */
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

  progress(position: number): Promise<{ available: number; complete: boolean }> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (this.#failure !== undefined) reject(this.#failure.error);
        else if (this.#available > position || this.#complete) {
          resolve({ available: this.#available, complete: this.#complete });
        } else this.#waiting.push(check);
      };
      check();
    });
  }

  /** The bytes from `start` up to `end` (default: the end, once complete), as they come. */
  read(start = 0, end?: number): AsyncGenerator<Uint8Array> {
    return readBytes(this, start, end);
  }

  #wake(): void {
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const check of waiting) check();
  }
}
