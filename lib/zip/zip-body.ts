/**
 * A module zip on its way to one client, whatever made it (`ZipBody`): complete on disk with its
 * length, or made as it streams. The HTTP layer sends every zip through this one shape
 * (http/zip-file.ts); `cachedZipBody` makes one of a file cache's zip (zip/cache.ts).
 */
import type { CachedZip } from './cache.ts';
import type { ZipSink } from './spool.ts';

/** A zip for one client. `close()` it when done, whatever happened. */
export interface ZipBody {
  /** Its length, when it is complete before the first byte (then byte ranges can be sent); undefined while it is made. */
  readonly size: number | undefined;
  /** Resolves once every rule has passed for it, rejects with the refusal (a HEAD's answer). */
  verdict(): Promise<void>;
  /**
   * Writes it, or bytes `[start, end)` of it when its size is known, into `sink` at the client's
   * pace; rejects when it fails part-way or the client goes away.
   */
  send(sink: ZipSink, range?: { readonly start: number; readonly end: number }): Promise<void>;
  /** Releases what it holds (a process not read, a cache file). */
  close(): void;
}

/** A zip of a file cache: from disk with its length once complete, else shared with its build as it grows. */
export function cachedZipBody(zip: CachedZip): ZipBody {
  return {
    size: zip.size,
    verdict: () => Promise.resolve(),
    send: async (sink, range) => {
      for await (const chunk of zip.read(range?.start, range?.end)) {
        if (!sink.write(chunk)) await sink.drained();
      }
    },
    close: () => zip.close(),
  };
}
