/**
 * Small HTTP answers shared by the handler: plain-text errors, JSON and byte bodies.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ProxyError } from '../common/errors.ts';

/** Sends a complete body (or only its headers for HEAD). */
export function sendBody(req: IncomingMessage, res: ServerResponse, status: number, contentType: string, body: Uint8Array | string): void {
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

export function sendJson(req: IncomingMessage, res: ServerResponse, value: unknown): void {
  sendBody(req, res, 200, 'application/json', `${JSON.stringify(value)}\n`);
}

/**
 * Answers a failure: a `ProxyError` with its status and reason; anything else is a bug, answered
 * with a generic 500 (the details go to the log, never to the client). A response already under
 * way cannot change its status: the connection is aborted so the client sees an error, never a
 * truncated body that looks complete.
 */
export function sendError(req: IncomingMessage, res: ServerResponse, error: unknown, log: (error: unknown) => void): void {
  if (res.headersSent) {
    res.destroy(error instanceof Error ? error : undefined);
    return;
  }
  if (error instanceof ProxyError) {
    if (error.headers !== undefined) for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
    sendText(req, res, error.status, error.message);
    return;
  }
  log(error);
  sendText(req, res, 500, 'internal server error');
}
