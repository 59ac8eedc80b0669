/**
 * Interleaves the entries of several zips read at once (several `git archive` processes, each over
 * a part of the module) into one sequence of entry events. Entries stay whole: once an entry's
 * header is passed on, only that entry's events follow until its end. Meanwhile the other sources
 * keep reading ahead into their own queues, up to `readAheadBytes` of data each, then wait: the
 * sources work in parallel, memory stays bounded, and entry order (which the go command ignores)
 * follows whichever source is ahead.
 */
import type { ZipReadEvent } from './reader.ts';

/** The entries of all `sources`, each entry whole; ends when all have ended, throws the first failure. */
export function mergeZipEntries(
  sources: ReadonlyArray<AsyncIterable<ZipReadEvent>>,
  readAheadBytes: number,
): AsyncIterable<ZipReadEvent> {
  // One source needs no merging, nor the cost of another generator step per event.
  return sources.length === 1 ? sources[0]! : mergeLanes(sources, readAheadBytes);
}

async function* mergeLanes(
  sources: ReadonlyArray<AsyncIterable<ZipReadEvent>>,
  readAheadBytes: number,
): AsyncGenerator<ZipReadEvent> {
  const lanes = sources.map((source) => new Lane(source[Symbol.asyncIterator](), readAheadBytes));
  const changed = new Signal();
  for (const lane of lanes) lane.start(() => changed.notify());
  try {
    for (;;) {
      const lane = await nextEntryLane(lanes, changed);
      if (lane === undefined) return;
      for (;;) {
        const event = await lane.take(changed);
        yield event;
        if (event.kind === 'end' || event.kind === 'entry') break;
      }
    }
  } finally {
    for (const lane of lanes) lane.stop();
  }
}

/** The lane with an entry header waiting (most read-ahead first), undefined once every lane has ended. */
async function nextEntryLane(lanes: readonly Lane[], changed: Signal): Promise<Lane | undefined> {
  for (;;) {
    for (const lane of lanes) lane.throwIfFailed();
    const ready = lanes.filter((lane) => lane.hasEvent()).sort((a, b) => b.queuedBytes - a.queuedBytes);
    if (ready.length > 0) return ready[0];
    if (lanes.every((lane) => lane.ended)) return undefined;
    await changed.wait();
  }
}

/** One source, read ahead into a queue by its own pump. */
class Lane {
  readonly #source: AsyncIterator<ZipReadEvent>;
  readonly #readAheadBytes: number;
  readonly #queue: ZipReadEvent[] = [];
  queuedBytes = 0;
  ended = false;
  #failure: { error: unknown } | undefined;
  #stopped = false;
  readonly #space = new Signal();
  #pump: Promise<void> = Promise.resolve();

  constructor(source: AsyncIterator<ZipReadEvent>, readAheadBytes: number) {
    this.#source = source;
    this.#readAheadBytes = readAheadBytes;
  }

  start(onChange: () => void): void {
    this.#pump = this.#run(onChange);
  }

  hasEvent(): boolean {
    return this.#queue.length > 0;
  }

  throwIfFailed(): void {
    if (this.#failure !== undefined) throw this.#failure.error;
  }

  /** The next event of this lane, waiting for the pump when the queue is empty. */
  async take(changed: Signal): Promise<ZipReadEvent> {
    for (;;) {
      this.throwIfFailed();
      const event = this.#queue.shift();
      if (event !== undefined) {
        this.queuedBytes -= weight(event);
        this.#space.notify();
        return event;
      }
      if (this.ended) throw new Error('zip source ended inside an entry');
      await changed.wait();
    }
  }

  /**
   * Stops reading ahead and closes the source once its pending read is over. Not awaited: that
   * read may wait for a git process that only the caller's cleanup, after this, stops.
   */
  stop(): void {
    this.#stopped = true;
    this.#space.notify();
    void this.#pump.then(() => this.#source.return?.()).catch(() => undefined);
  }

  async #run(onChange: () => void): Promise<void> {
    try {
      while (!this.#stopped) {
        while (this.queuedBytes >= this.#readAheadBytes && !this.#stopped) await this.#space.wait();
        if (this.#stopped) break;
        const next = await this.#source.next();
        if (next.done) break;
        this.#queue.push(next.value);
        this.queuedBytes += weight(next.value);
        onChange();
      }
    } catch (error) {
      this.#failure = { error };
    } finally {
      this.ended = true;
      onChange();
    }
  }
}

/** Bytes an event holds; headers and ends count too, so a run of empty files cannot queue without bound. */
function weight(event: ZipReadEvent): number {
  return event.kind === 'data' || event.kind === 'entry' ? event.chunk.length + EVENT_BYTES : EVENT_BYTES;
}

const EVENT_BYTES = 128;

/** Wakes everyone waiting at the moment it is notified. */
class Signal {
  #waiters: Array<() => void> = [];

  wait(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  notify(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}
