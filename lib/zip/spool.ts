/**
 * Zips for clients slower than git (config `zipSpoolMiB`): git's slot is held only as long as git
 * needs to make the zip, however slowly the client reads.
 *
 * A zip goes to its client as git makes it, first byte as soon as git's. When the client has not
 * taken what it was sent within BEHIND_MS, the rest of the zip (the pin-guarded module zip, so its
 * end record still waits for the pin) is pulled at git's speed into a spool file under `dir`, and
 * the client is sent that file as it grows. git exits, and frees its slot, when the zip is written.
 *
 * - The spool file is removed when its client has it all, goes away, or the zip fails (the client's
 *   connection is then cut, as when streaming from git); a client that goes away still kills git.
 * - Disk is bounded: spool files hold at most `maxBytes` at once. A zip that would pass the bound
 *   stops spooling there: its client gets what is in its spool file, then the rest straight from
 *   git at its own pace (git waits for it, holding its slot, as without a spool). A spool file
 *   that cannot be created or written is treated the same way (and logged).
 * - Files are `<pid>.<run id>.<n>.spool` (common/owned-files.ts). Those left by a process that is gone (a crash, a kill) are removed
 *   at start; a process removes its own on `close()` and when it exits.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { GrowingFile } from './growing-file.ts';
import { RUN_ID, writerIsGone } from '../common/owned-files.ts';
import type { ModuleZipStream } from './source.ts';
import { counterValue, gauge, type MetricsRegistry } from '../common/metrics.ts';

/** Where spool files go and how many bytes they may hold at once. */
export interface ZipSpoolOptions {
  readonly dir: string;
  readonly maxBytes: number;
  /** Where warnings go (a spool file that could not be written). */
  readonly warn?: (message: string) => void;
}

/** Where a relayed zip goes: the client's connection, as the HTTP layer sees it. */
export interface ZipSink {
  /** Passes a chunk on; false when the client has not yet taken what it was passed before. */
  write(chunk: Uint8Array): boolean;
  /** Resolves once the client has taken everything passed so far; rejects when it went away. */
  drained(): Promise<void>;
}

/** The spool's figures, for `/metrics`. */
export interface ZipSpoolStats {
  /** The bound of `bytes`. */
  readonly maxBytes: number;
  /** Spool files open now. */
  readonly files: number;
  /** Bytes they hold. */
  readonly bytes: number;
  /** Zips that were spooled since start. */
  readonly spooled: number;
  /** Zips that reached the bound and went on at their client's pace. */
  readonly full: number;
}

/** How long a client may take to accept what it was sent before it counts as behind git. */
export const BEHIND_MS = 100;
/** `<pid>.<run id>.<n>.spool` */
const SPOOL_FILE = /^([0-9]+)\.([0-9a-f]+)\.[0-9]+\.spool$/;
type Chunks = AsyncIterator<Uint8Array, unknown, undefined>;

export class ZipSpool {
  readonly dir: string;
  readonly maxBytes: number;
  readonly #warn: (message: string) => void;
  /** Paths of this process's spool files. */
  readonly #paths = new Set<string>();
  #bytes = 0;
  #sequence = 0;
  #spooled = 0;
  #full = 0;
  /** The directory is made and the exit hook set (on the first spool). */
  #ready = false;
  readonly #removeAll = (): void => {
    for (const path of this.#paths) rmSync(path, { force: true });
    this.#paths.clear();
  };

  constructor(options: ZipSpoolOptions) {
    this.dir = options.dir;
    this.maxBytes = options.maxBytes;
    this.#warn = options.warn ?? (() => undefined);
    removeLeftovers(this.dir);
  }

  get stats(): ZipSpoolStats {
    return {
      maxBytes: this.maxBytes,
      files: this.#paths.size,
      bytes: this.#bytes,
      spooled: this.#spooled,
      full: this.#full,
    };
  }
  /** Registers its series: the bound, files and bytes spooled now, zips spooled and those that reached the bound. */
  registerMetrics(registry: MetricsRegistry): void {
    registry.register(() => {
      const spool = this.stats;
      return gauge(
        'git_goproxy_zip_spool_max_bytes',
        'Most bytes spool files may hold at once (zipSpoolMiB).',
        spool.maxBytes,
      ) +
        gauge('git_goproxy_zip_spool_files', 'Spool files of zips whose clients fell behind git.', spool.files) +
        gauge('git_goproxy_zip_spool_bytes', 'Bytes in spool files (bounded by zipSpoolMiB).', spool.bytes) +
        counterValue(
          'git_goproxy_zip_spooled_total',
          'Zips spooled because their client fell behind git.',
          spool.spooled,
        ) +
        counterValue(
          'git_goproxy_zip_spool_full_total',
          "Spooled zips that reached zipSpoolMiB and went on at their client's pace.",
          spool.full,
        );
    });
  }

  /**
   * Sends `stream` to `sink`: straight while the client keeps up, through a spool file once it
   * falls behind. Rejects when the zip fails (after what came before it was sent) or the client
   * goes away; either way nothing of it is left on disk.
   */
  async relay(stream: ModuleZipStream, sink: ZipSink): Promise<void> {
    const chunks = stream.chunks[Symbol.asyncIterator]();
    let behind: boolean;
    try {
      behind = await sendUntilBehind(chunks, sink);
    } catch (error) {
      await chunks.return?.(undefined);
      throw error;
    }
    if (behind) await this.#spoolRest(chunks, stream, sink);
  }

  /** Removes this process's spool files (for a stop: relays still running fail). */
  close(): void {
    process.off('exit', this.#removeAll);
    this.#removeAll();
  }

  /**
   * Pulls the rest of `chunks` into a spool file at git's speed while `sink` gets the file; what
   * the bound left in `chunks` follows at the client's pace.
   */
  async #spoolRest(chunks: Chunks, stream: ModuleZipStream, sink: ZipSink): Promise<void> {
    const spool = await this.#create();
    if (spool === undefined) return sendAll(chunks, sink);
    this.#spooled++;
    const filling = this.#fill(spool, chunks);
    let held: Uint8Array | undefined;
    try {
      for await (const chunk of spool.file.read()) await send(sink, chunk);
      held = await filling;
    } catch (error) {
      if (!spool.file.over) stream.cancel(); // the client went away: git goes too
      await filling;
      await chunks.return?.(undefined); // closes a zip stopped at the bound
      throw error;
    } finally {
      await this.#remove(spool);
    }
    if (held !== undefined) await sendAll(chunks, sink, held);
  }

  /**
   * Appends `chunks` to the spool file until they end, fail (the file fails) or the bound is
   * reached; then the file is complete. Resolves with the chunk the bound held back, if it did.
   */
  async #fill(spool: Spool, chunks: Chunks): Promise<Uint8Array | undefined> {
    try {
      for (let step = await chunks.next(); step.done !== true; step = await chunks.next()) {
        if (!(await this.#append(spool, step.value))) {
          spool.file.complete();
          return step.value;
        }
      }
      spool.file.complete();
    } catch (error) {
      spool.file.fail(error);
    }
    return undefined;
  }

  /** Writes `chunk` to the spool file if the bound allows; false when it does not (or the write failed). */
  async #append(spool: Spool, chunk: Uint8Array): Promise<boolean> {
    if (this.#bytes + chunk.length > this.maxBytes) {
      this.#full++;
      return false;
    }
    this.#bytes += chunk.length;
    spool.reserved += chunk.length;
    try {
      await spool.file.append(chunk);
      return true;
    } catch (error) {
      this.#warn(
        `zip spool: cannot write ${spool.path}: ${(error as Error).message}; the zip goes on at its client's pace`,
      );
      return false;
    }
  }

  async #create(): Promise<Spool | undefined> {
    const path = join(this.dir, `${process.pid}.${RUN_ID}.${this.#sequence++}.spool`);
    try {
      if (!this.#ready) {
        mkdirSync(this.dir, { recursive: true });
        process.on('exit', this.#removeAll);
        this.#ready = true;
      }
      this.#paths.add(path);
      return { path, file: new GrowingFile(await open(path, 'w+')), reserved: 0 };
    } catch (error) {
      this.#paths.delete(path);
      this.#warn(`zip spool: cannot create ${path}: ${(error as Error).message}; the zip goes on at its client's pace`);
      return undefined;
    }
  }

  /** Closes and deletes a spool file and gives its bytes back. */
  async #remove(spool: Spool): Promise<void> {
    await spool.file.handle.close().catch(() => undefined);
    await rm(spool.path, { force: true });
    this.#paths.delete(spool.path);
    this.#bytes -= spool.reserved;
  }
}

/** One client's spool file. */
interface Spool {
  readonly path: string;
  readonly file: GrowingFile;
  /** Bytes taken from the bound for it. */
  reserved: number;
}

/**
 * Sends chunks while the client takes them within BEHIND_MS of being sent. True when it did not
 * (the chunk sent last is with the client; the rest is still in `chunks`), false when all went out.
 */
async function sendUntilBehind(chunks: Chunks, sink: ZipSink): Promise<boolean> {
  for (let step = await chunks.next(); step.done !== true; step = await chunks.next()) {
    if (!sink.write(step.value) && !(await drainsWithin(sink, BEHIND_MS))) return true;
  }
  return false;
}

/** Whether the client takes what it was sent within `ms`; rejects when it went away first. */
async function drainsWithin(sink: ZipSink, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const drained = sink.drained().then(() => true as const);
  drained.catch(() => undefined); // a client that goes away after the timer is seen by the next send
  try {
    return await Promise.race([drained, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Sends `first` (if given) and every chunk at the client's pace. */
async function sendAll(chunks: Chunks, sink: ZipSink, first?: Uint8Array): Promise<void> {
  try {
    if (first !== undefined) await send(sink, first);
    for (let step = await chunks.next(); step.done !== true; step = await chunks.next()) await send(sink, step.value);
  } catch (error) {
    await chunks.return?.(undefined);
    throw error;
  }
}

async function send(sink: ZipSink, chunk: Uint8Array): Promise<void> {
  if (!sink.write(chunk)) await sink.drained();
}

/** Removes the spool files of processes that are gone (an earlier run with this pid included). */
function removeLeftovers(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return; // no spool yet
  }
  for (const name of names) {
    const owner = SPOOL_FILE.exec(name);
    if (owner !== null && writerIsGone(Number(owner[1]), owner[2]!)) rmSync(join(dir, name), { force: true });
  }
}
