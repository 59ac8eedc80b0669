/**
 * Zip bodies on the wire, whatever made them (a local repository, the zip cache, the upstream
 * cache): a zip complete before its first byte goes with its length and single byte ranges; one
 * made as it streams goes out as it comes, and a HEAD for it waits for every rule. The flow control
 * every zip response shares: stop when the client leaves, wait while it is behind.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ProxyError } from '../common/errors.ts';
import type { ZipBody } from '../zip/zip-body.ts';
import type { ZipSink } from '../zip/spool.ts';
import { requestedRange } from './range.ts';

/**
 * Opens a zip with a signal that aborts when the client goes away, and sends it. A refusal or
 * failure after the status line aborts the connection before the zip's end (see `sendError`). The
 * zip is closed whatever happens.
 */
export async function sendZip(
  req: IncomingMessage,
  res: ServerResponse,
  open: (signal: AbortSignal) => Promise<ZipBody>,
): Promise<void> {
  const closed = abortWhenClosed(res);
  let zip: ZipBody | undefined;
  try {
    zip = await open(closed.signal);
    let range = zip.size === undefined ? undefined : requestedRange(req, zip.size);
    if (range === 'unsatisfiable') {
      res.setHeader('Content-Range', `bytes */${zip.size}`);
      throw new ProxyError('range-not-satisfiable', 'range not satisfiable');
    }
    const head = req.method === 'HEAD';
    // No body to cut short: the status waits for every rule.
    if (head) await zip.verdict();
    res.statusCode = range === undefined ? 200 : 206;
    res.setHeader('Content-Type', 'application/zip');
    if (zip.size !== undefined) {
      range ??= { start: 0, end: zip.size };
      res.setHeader('Accept-Ranges', 'bytes');
      res.setHeader('Content-Length', range.end - range.start);
      if (res.statusCode === 206) res.setHeader('Content-Range', `bytes ${range.start}-${range.end - 1}/${zip.size}`);
    }
    if (head) return void res.end();
    await zip.send(responseSink(res, closed.signal), range);
    res.end();
  } finally {
    closed.detach();
    zip?.close();
  }
}

/** A signal that aborts when the response closes before it has finished (the client went away), or when detached unfinished. */
function abortWhenClosed(res: ServerResponse): { signal: AbortSignal; detach: () => void } {
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

/** The response as a zip sees it: takes chunks, tells when the client has taken them. */
function responseSink(res: ServerResponse, signal: AbortSignal): ZipSink {
  return { write: (chunk) => res.write(chunk), drained: () => waitForDrain(res, signal) };
}

/** Resolves once the response has no more bytes waiting for the client than it takes at once; rejects when the client went away. */
function waitForDrain(res: ServerResponse, signal: AbortSignal): Promise<void> {
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
