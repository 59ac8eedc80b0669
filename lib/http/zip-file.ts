/**
 * Zip bodies on the wire: a zip file of a cache sent whole or as a byte range, and the flow control
 * every zip response shares (stop when the client leaves, wait while it is behind).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ProxyError } from '../common/errors.ts';
import type { CachedZip } from '../zip/cache.ts';
import { requestedRange } from './range.ts';

/**
 * Sends a zip of a file cache (the zip cache, the upstream cache): while it is written, as it grows;
 * once complete, from disk with its length and single byte ranges. Closes it.
 */
export async function sendZipFile(req: IncomingMessage, res: ServerResponse, zip: CachedZip): Promise<void> {
  const closed = abortWhenClosed(res);
  try {
    let range = zip.size === undefined ? undefined : requestedRange(req, zip.size);
    if (range === 'unsatisfiable') {
      res.setHeader('Content-Range', `bytes */${zip.size}`);
      throw new ProxyError('range-not-satisfiable', 'range not satisfiable');
    }
    res.statusCode = range === undefined ? 200 : 206;
    res.setHeader('Content-Type', 'application/zip');
    if (zip.size !== undefined) {
      range ??= { start: 0, end: zip.size };
      res.setHeader('Accept-Ranges', 'bytes');
      res.setHeader('Content-Length', range.end - range.start);
      if (res.statusCode === 206) res.setHeader('Content-Range', `bytes ${range.start}-${range.end - 1}/${zip.size}`);
    }
    if (req.method === 'HEAD') return void res.end();
    await writeAll(res, zip.read(range?.start, range?.end), closed.signal);
  } finally {
    closed.detach();
    zip.close();
  }
}

/** A signal that aborts when the response closes before it has finished (the client went away), or when detached unfinished. */
export function abortWhenClosed(res: ServerResponse): { signal: AbortSignal; detach: () => void } {
  const abort = new AbortController();
  const onClose = () => abort.abort();
  res.on('close', onClose);
  return {
    signal: abort.signal,
    detach: () => {
      res.off('close', onClose);
      if (!res.writableFinished) abort.abort();
    },
  };
}

/** Writes every chunk as fast as the client takes it, then ends the response. */
async function writeAll(res: ServerResponse, chunks: AsyncIterable<Uint8Array>, signal: AbortSignal): Promise<void> {
  for await (const chunk of chunks) {
    if (!res.write(chunk)) await waitForDrain(res, signal);
  }
  res.end();
}

/** Resolves once the response has no more bytes waiting for the client than it takes at once; rejects when the client went away. */
export function waitForDrain(res: ServerResponse, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error('client went away'));
    if (!res.writableNeedDrain) return resolve();
    const done = () => {
      res.off('drain', done);
      signal.removeEventListener('abort', done);
      if (signal.aborted) reject(new Error('client went away'));
      else resolve();
    };
    res.on('drain', done);
    signal.addEventListener('abort', done);
  });
}
