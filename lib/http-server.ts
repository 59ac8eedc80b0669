/**
 * The `node:http` server around the handler, set up for the open network: clients get bounded
 * time to send a request and may not stall a response forever (a connection that moves no byte
 * either way for `idleTimeout` is dropped, which kills the git process behind a zip and frees its
 * slot); requests Node's parser refuses and CONNECT get a one-line plain-text 4xx, like every
 * other refusal, and the connection is closed.
 */
import { createServer, STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Handler } from './handler.ts';

/** Connection time limits, in seconds (the config file's `headersTimeout`, `requestTimeout`, `idleTimeout`). */
export interface ServerTimeouts {
  /** Time to send the request line and headers; default 20; never more than `requestTimeout`. */
  headersTimeout?: number;
  /** Time to send the whole request; default 30. */
  requestTimeout?: number;
  /** Time a connection may make no progress at all, reading or writing; default 60. */
  idleTimeout?: number;
}

const DEFAULT_HEADERS_TIMEOUT = 20;
const DEFAULT_REQUEST_TIMEOUT = 30;
const DEFAULT_IDLE_TIMEOUT = 60;

/** Creates the HTTP server for `handler` with the given limits. */
export function createProxyServer(handler: Handler, timeouts: ServerTimeouts = {}): Server {
  const requestMs = (timeouts.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT) * 1000;
  // Node refuses a headers limit above the request limit; the request limit bounds both anyway.
  const headersMs = Math.min((timeouts.headersTimeout ?? DEFAULT_HEADERS_TIMEOUT) * 1000, requestMs);
  const server = createServer(
    {
      headersTimeout: headersMs,
      requestTimeout: requestMs,
      // Node looks for expired requests this often (default 30 s, longer than the limits themselves).
      connectionsCheckingInterval: Math.max(50, Math.min(1000, headersMs / 4)),
    },
    handler,
  );
  // Without a 'timeout' listener Node destroys the socket: the response's 'close' aborts its git child.
  server.setTimeout((timeouts.idleTimeout ?? DEFAULT_IDLE_TIMEOUT) * 1000);
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => refuseRaw(socket, clientErrorAnswer(error.code)));
  server.on('connect', (_req, socket: Duplex) => refuseRaw(socket, [405, 'method CONNECT not allowed']));
  return server;
}

type RawAnswer = [status: number, line: string];

/** The answer to a request Node's parser refused (its error codes are llhttp's, plus Node's timeouts). */
function clientErrorAnswer(code: string | undefined): RawAnswer {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return [431, 'request line or headers too large'];
    case 'HPE_INVALID_METHOD':
      return [405, 'method not allowed'];
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [408, 'request not received in time'];
    default:
      return [400, 'bad request: malformed HTTP request'];
  }
}

/** Writes a complete one-line response on a socket no `ServerResponse` owns, then closes it. */
function refuseRaw(socket: Duplex, [status, line]: RawAnswer): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = `${line}\n`;
  const allow = status === 405 ? 'Allow: GET, HEAD\r\n' : '';
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: text/plain; charset=utf-8\r\n${allow}` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    () => socket.destroy(),
  );
}
