/**
 * The `h1:` of a module zip made elsewhere (an upstream proxy's), folded from its bytes as they
 * pass: each entry is read as it arrives (reader.ts, which takes the data descriptors of Go's own
 * zip writer too), inflated and SHA-256'd (content-check.ts), and the digests go into `Hash1`, as
 * `dirhash.HashZip` does with every entry of a zip. A zip that is truncated or malformed, or whose
 * content does not match its sizes, fails `finish()` (its CRC-32s are left to the go command,
 * which checks them as it extracts).
 *
 * The hasher follows the bytes at its own pace: `push` returns at once while it lags by less than
 * `maxLagBytes`, and waits otherwise, so that a large zip streams at the speed of its source while
 * the memory held for the hasher stays bounded.
 */
import { ContentCheck } from './content-check.ts';
import { Hash1 } from './hash.ts';
import { readZipEntries, type ZipReadEvent } from './reader.ts';

/** Bytes the hasher may lag behind the stream by default. */
const DEFAULT_MAX_LAG_BYTES = 4 << 20;

export class ZipHasher {
  readonly #maxLagBytes: number;
  readonly #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #ended = false;
  #cancelled = false;
  /** Wakes the hasher when bytes arrive or the input ends. */
  #wakeHasher: (() => void) | undefined;
  /** Wakes a waiting `push` when the hasher has caught up. */
  #wakePusher: (() => void) | undefined;
  readonly #result: Promise<string>;

  constructor(maxLagBytes = DEFAULT_MAX_LAG_BYTES) {
    this.#maxLagBytes = maxLagBytes;
    this.#result = this.#hash();
    // Until `finish()` is asked, a failure is seen by `push` (which stops waiting) and then by `finish()`.
    this.#result.catch(() => this.#wakePusher?.());
  }

  /** Takes the zip's next bytes (not copied: the caller must not change them); waits while the hasher lags too far behind. */
  async push(chunk: Uint8Array): Promise<void> {
    if (chunk.length === 0) return;
    this.#queue.push(chunk);
    this.#queuedBytes += chunk.length;
    this.#wakeHasher?.();
    while (this.#queuedBytes > this.#maxLagBytes && !this.#cancelled) {
      const caughtUp = new Promise<void>((resolve) => (this.#wakePusher = resolve));
      await Promise.race([caughtUp, this.#result.then(() => undefined, () => undefined)]);
    }
  }

  /** The zip has ended: resolves with its `h1:`, or rejects when it is not a whole, valid zip. */
  finish(): Promise<string> {
    this.#ended = true;
    this.#wakeHasher?.();
    return this.#result;
  }

  /** Stops hashing (the stream failed elsewhere); `finish()` then rejects. */
  cancel(): void {
    this.#cancelled = true;
    this.#ended = true;
    this.#queue.length = 0;
    this.#queuedBytes = 0;
    this.#wakeHasher?.();
    this.#wakePusher?.();
    this.#result.catch(() => undefined);
  }

  async #hash(): Promise<string> {
    const hash = new Hash1();
    let entry: { name: string; check: ContentCheck } | undefined;
    const take = (event: ZipReadEvent): void => {
      if (event.kind === 'header' || event.kind === 'entry') {
        const { name, method, uncompressedSize } = event.header;
        entry = { name, check: new ContentCheck(name, method, uncompressedSize, false) };
      }
      if (event.kind === 'entry') entry!.check.pushWhole(event.chunk);
      else if (event.kind === 'data') entry!.check.push(event.chunk);
      if (event.kind === 'entry' || event.kind === 'end') hash.add(entry!.name, entry!.check.finish(event.trailer));
    };
    for await (const event of readZipEntries(this.#input())) take(event);
    if (this.#cancelled) throw new Error('zip hashing cancelled');
    return hash.digest();
  }

  /** The pushed bytes, as the reader pulls them. */
  async *#input(): AsyncGenerator<Uint8Array> {
    for (;;) {
      const chunk = this.#queue.shift();
      if (chunk !== undefined) {
        this.#queuedBytes -= chunk.length;
        if (this.#queuedBytes <= this.#maxLagBytes) this.#wakePusher?.();
        yield chunk;
        continue;
      }
      if (this.#ended) return;
      await new Promise<void>((resolve) => (this.#wakeHasher = resolve));
      this.#wakeHasher = undefined;
    }
  }
}
