/**
 * The `node:http` server around the handler, set up for the open network: clients get bounded
 * time to send a request and may not stall a response forever (a connection that moves no byte
 * either way for `idleTimeout` is dropped, which kills the git process behind a zip and frees its
 * slot); requests Node's parser refuses and CONNECT get a one-line plain-text 4xx, like every
 * other refusal, and the connection is closed.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
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
  server.setTimeout((timeouts.idleTimeout ?? DEFAULT_IDLE_TIMEOUT) * 1000);
  dropIdleClients(server);
  server.on(
    'clientError',
    (error: NodeJS.ErrnoException, socket: Duplex) => refuseRaw(socket, clientErrorAnswer(error.code)),
  );
  server.on('connect', (_req, socket: Duplex) => refuseRaw(socket, [405, 'method CONNECT not allowed']));
  return server;
}

/**
 * A connection idle for `idleTimeout` is destroyed (the response's 'close' then aborts its git
 * child), unless its answer is still being worked out: a request waiting for a git slot is the
 * server's delay, bounded by the limiter (503 beyond it), not a stalled client.
 */
function dropIdleClients(server: Server): void {
  const answering = new WeakMap<Socket, ServerResponse>();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    answering.set(req.socket, res);
    res.once('close', () => answering.delete(req.socket));
  });
  server.on('timeout', (socket: Socket) => {
    const res = answering.get(socket);
    if (res !== undefined && !res.headersSent) return;
    socket.destroy();
  });
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
