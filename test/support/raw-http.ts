/**
 * HTTP/1.1 over a bare TCP socket, for tests that must send exactly the bytes they mean (raw
 * backslashes, NUL, non-UTF-8 in the request line, odd methods, oversized headers) and see exactly
 * what comes back, including a connection cut short.
 */
import { connect } from 'node:net';

/** What came back on the socket. */
export interface RawResponse {
  /** Status code of the status line; 0 when the connection closed before one arrived. */
  readonly status: number;
  /** Header names in lower case → value (last wins). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  /** Every byte received. */
  readonly raw: Buffer;
}

/**
 * Sends `request` as is on a new connection to 127.0.0.1:`port` and collects everything until the
 * server closes it (so the request should say `Connection: close`).
 */
export function sendRaw(port: number, request: string | Buffer, timeoutMs = 10_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new Error(
          `no close within ${timeoutMs} ms; got ${
            JSON.stringify(Buffer.concat(chunks).toString('latin1').slice(0, 200))
          }`,
        ),
      );
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => {
      // A reset after the answer is still an answer: what was read counts.
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(parseResponse(Buffer.concat(chunks)));
    });
    // Not end(): a half-closed client connection may be dropped before an asynchronous answer.
    socket.write(request);
  });
}

/** `<METHOD> <target> HTTP/1.1` with a Host header and `Connection: close`, as bytes (latin1, so any byte can be in `target`). */
export function rawGet(target: string, method = 'GET', extraHeaders = ''): Buffer {
  return Buffer.from(
    `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${extraHeaders}\r\n`,
    'latin1',
  );
}

function parseResponse(raw: Buffer): RawResponse {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return { status: 0, headers: {}, body: Buffer.alloc(0), raw };
  const [statusLine = '', ...lines] = raw.subarray(0, end).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1] ?? 0), headers, body: raw.subarray(end + 4), raw };
}
