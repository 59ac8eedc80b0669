/**
 * One HTTP GET or HEAD over a fresh connection that reports how the body ended: a complete body, or
 * a connection cut short (which a client must treat as an error). For fault and load tests, where
 * "a short 200" has to be told apart from a whole one.
 */
import { type IncomingMessage, request } from 'node:http';

/** How a response went. */
export interface FetchResult {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
  /** Whether the body arrived whole (its framing said it was done before the connection closed). */
  readonly complete: boolean;
}

/** What `onChunk` returns: `'disconnect'` to cut the connection there, nothing to read on. */
export type Disconnect = 'disconnect' | undefined | void;

/** Options of `fetchOnce`. */
export interface FetchOptions {
  readonly method?: 'GET' | 'HEAD';
  /** More request headers (`Range`, …). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Called with each body chunk; returning `'disconnect'` destroys the connection there. */
  readonly onChunk?: (chunk: Buffer, received: number) => Disconnect | Promise<Disconnect>;
}

/** GET (or HEAD) `url` on a connection of its own; never rejects for a cut connection, only for no connection at all. */
export function fetchOnce(url: string, options: FetchOptions = {}): Promise<FetchResult> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: options.method ?? 'GET',
      agent: false,
      headers: { ...options.headers, Connection: 'close' },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let received = 0;
      let settled = false;
      const settle = (): void => {
        if (settled) return;
        settled = true;
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks),
          complete: res.complete,
        });
      };
      req.removeListener('error', reject);
      req.on('error', settle);
      res.on('error', settle);
      res.on('close', settle);
      res.on('end', settle);
      void readBody(res, async (chunk) => {
        chunks.push(chunk);
        received += chunk.length;
        if ((await options.onChunk?.(chunk, received)) === 'disconnect') {
          req.destroy();
          settle();
        }
      }).catch(settle);
    });
    req.end();
  });
}

async function readBody(res: IncomingMessage, onChunk: (chunk: Buffer) => Promise<void>): Promise<void> {
  for await (const chunk of res) await onChunk(chunk as Buffer);
}
