/**
 * Per-request bookkeeping for the operations surface: when a request arrived, how many body bytes
 * went out, and what the handler learned about it (endpoint, project, module, version, token),
 * turned into one access-log line and the metrics once the response is over.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../common/log.ts';
import type { RequestMetrics } from './metrics.ts';

/** What the handler learned while answering; filled in as it goes. */
export interface RequestFacts {
  /** Metrics label: `list`, `latest`, `info`, `mod`, `zip`, `go-get`, `health`, `ready`, `metrics`, `sumdb`, `other`. */
  endpoint: string;
  project?: string;
  module?: string;
  version?: string;
  token?: string;
  /** The client's address when a trusted proxy named it (else the socket's peer is logged). */
  client?: string;
}

/** Where finished requests are reported. */
export interface RequestObserver {
  readonly logger: Logger;
  readonly metrics: RequestMetrics;
}

/** A request being observed: fill in `facts`; `handOff()` when it goes to `next()` and is not ours to report. */
export interface ObservedRequest {
  readonly facts: RequestFacts;
  handOff(): void;
}

/**
 * Starts observing `res`: counts the body bytes written through it and, when the response
 * finishes or the connection closes first, writes the access-log line and updates the metrics.
 */
export function observeRequest(req: IncomingMessage, res: ServerResponse, observer: RequestObserver): ObservedRequest {
  const started = performance.now();
  const facts: RequestFacts = { endpoint: 'other' };
  const bytes = countBodyBytes(res);
  let handedOff = false;
  res.once('close', () => {
    if (handedOff) return;
    const ms = performance.now() - started;
    const aborted = !res.writableFinished;
    observer.metrics.observeRequest({
      endpoint: facts.endpoint,
      status: res.statusCode,
      bytes: bytes(),
      seconds: ms / 1000,
    });
    observer.logger.access({
      method: req.method ?? '',
      path: req.url ?? '',
      status: res.statusCode,
      bytes: bytes(),
      ms: Math.round(ms * 10) / 10,
      project: facts.project,
      module: facts.module,
      version: facts.version,
      token: facts.token,
      client: facts.client ?? req.socket.remoteAddress,
      aborted: aborted ? true : undefined,
    });
  });
  return {
    facts,
    handOff: () => {
      handedOff = true;
    },
  };
}

type Write = (chunk: unknown, ...rest: unknown[]) => boolean;
type End = (...args: unknown[]) => ServerResponse;

/** Wraps `res.write` and `res.end` to count body bytes; returns the running count. */
function countBodyBytes(res: ServerResponse): () => number {
  let bytes = 0;
  let inEnd = false;
  const count = (chunk: unknown, encoding: unknown): void => {
    if (typeof chunk === 'string') {
      bytes += Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
    } else if (chunk instanceof Uint8Array) bytes += chunk.byteLength;
  };
  const write = res.write as unknown as Write;
  const end = res.end as unknown as End;
  (res as unknown as { write: Write }).write = function (this: ServerResponse, chunk, ...rest) {
    if (!inEnd) count(chunk, rest[0]);
    return write.call(this, chunk, ...rest);
  };
  (res as unknown as { end: End }).end = function (this: ServerResponse, ...args) {
    if (typeof args[0] !== 'function') count(args[0], args[1]);
    // Some runtimes' `end(chunk)` goes through `this.write`: that chunk is already counted.
    inEnd = true;
    try {
      return end.apply(this, args);
    } finally {
      inEnd = false;
    }
  };
  return () => bytes;
}
