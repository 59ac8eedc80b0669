/**
 * Small immutable upstream answers (`.info`, `.mod`, checksum lookups and tiles) through the
 * upstream cache: fetched whole once, then read from disk; concurrent first requests share the fetch.
 */
import type { ZipCache } from '../zip/cache.ts';

/**
 * The bytes kept under `key`, fetched with `fetch` (whose failure is every waiting caller's) when
 * they are not; `onStored` is called once bytes this call fetched are kept.
 */
export async function cachedBytes(
  cache: ZipCache,
  key: string,
  fetch: (signal: AbortSignal) => Promise<Uint8Array>,
  onStored?: () => void,
): Promise<Buffer> {
  const file = await cache.open(key, async (signal) => {
    const bytes = await fetch(signal);
    return {
      chunks: (async function* () {
        yield bytes;
      })(),
      cancel: () => undefined,
    };
  }, onStored);
  try {
    const chunks: Uint8Array[] = [];
    for await (const chunk of file.read()) chunks.push(chunk);
    return Buffer.concat(chunks);
  } finally {
    file.close();
  }
}
