/**
 * Small HTTP answers shared by the handler: byte bodies, plain-text lines, and failures turned into
 * their status (the one place an error kind becomes an HTTP status).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ErrorKind, isResourceExhaustion, ProxyError, unavailable } from '../common/errors.ts';

/** The `Cache-Control` of answers that depend on who asks and when: no cache keeps them. */
export const UNCACHEABLE = 'private, no-store';

/** Sends a complete body (or only its headers for HEAD). */
export function sendBody(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  contentType: string,
  body: Uint8Array | string,
): void {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  res.statusCode = status;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', bytes.length);
  res.end(req.method === 'HEAD' ? undefined : bytes);
}

/** One line of plain text: what the go command shows the user as `server response:`. */
export function sendText(req: IncomingMessage, res: ServerResponse, status: number, line: string): void {
  sendBody(req, res, status, 'text/plain; charset=utf-8', `${line.replace(/[\r\n]+/g, ' ')}\n`);
}

/** The status that answers each kind of failure. */
const STATUS_OF: Readonly<Record<ErrorKind, number>> = {
  'bad-request': 400,
  'not-found': 404,
  gone: 410,
  busy: 503,
  unavailable: 503,
  'rate-limited': 429,
  'content-changed': 500,
  'method-not-allowed': 405,
  'range-not-satisfiable': 416,
  unauthorized: 401,
  'too-large': 413,
  'upstream-failed': 502,
  forbidden: 403,
};

/** The HTTP status of a failure (also for the web pages, which answer it as HTML). */
export function statusOf(error: ProxyError): number {
  return STATUS_OF[error.kind];
}

/** Sets the headers a failure's kind calls for: what to retry with, and when. */
export function setErrorHeaders(res: ServerResponse, error: ProxyError): void {
  if (error.kind === 'method-not-allowed') res.setHeader('Allow', 'GET, HEAD');
  if (error.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(error.retryAfterSeconds));
}

/**
 * Answers a failure, never cached (`UNCACHEABLE`): a `ProxyError` with the status of its kind and its reason; the machine out of
 * processes or descriptors (EMFILE, EAGAIN…) is a 503 with `Retry-After`; anything else is a bug,
 * answered with a generic 500 (the details go to the log, never to the client). A response already under
 * way cannot change its status: the connection is aborted so the client sees an error, never a
 * truncated body that looks complete.
 */
export function sendError(
  req: IncomingMessage,
  res: ServerResponse,
  error: unknown,
  log: (error: unknown) => void,
): void {
  if (res.headersSent) {
    res.destroy(error instanceof Error ? error : undefined);
    return;
  }
  if (isResourceExhaustion(error)) {
    log(error);
    return sendError(req, res, unavailable('the server is out of processes or file descriptors'), log);
  }
  // What a failed answer had set for the success it was heading for (a zip's ETag and a year of
  // caching) must not go out with the failure, which depends on who asks and on the moment.
  res.removeHeader('ETag');
  res.setHeader('Cache-Control', UNCACHEABLE);
  if (error instanceof ProxyError) {
    setErrorHeaders(res, error);
    sendText(req, res, statusOf(error), error.message);
    return;
  }
  log(error);
  sendText(req, res, 500, 'internal server error');
}
