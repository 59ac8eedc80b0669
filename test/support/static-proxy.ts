/**
 * A file-layout GOPROXY: a plain static HTTP server over a directory laid out as the go command's
 * own `$GOMODCACHE/cache/download` (what `go mod download` writes, and what `GOPROXY=file://…`
 * reads), on a loopback port. It records every request (path and headers), so that a test can
 * show what reached it and what did not, and can be told to cut the files whose path ends in a
 * suffix after some bytes, as an upstream that fails mid-download.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';

/** One request as the server saw it. */
export interface RecordedRequest {
  readonly method: string;
  /** The path as sent (percent-encoded), with the query. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

export interface StaticProxy {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly port: number;
  /** Every request so far, in order. */
  readonly requests: RecordedRequest[];
  /** Cut files whose path ends in `suffix` after `bytes` (the connection is destroyed); undefined: serve whole. */
  cut: { suffix: string; bytes: number } | undefined;
  /** Stops listening and drops every connection. */
  close(): Promise<void>;
}

/** Serves `root` on 127.0.0.1 (`port`, default an ephemeral one). */
export async function startStaticProxy(root: string, port = 0): Promise<StaticProxy> {
  const requests: RecordedRequest[] = [];
  const proxy = { cut: undefined as StaticProxy['cut'] };
  const server: Server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    void serveFile(root, req.url ?? '/', proxy.cut, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const { port: bound } = server.address() as AddressInfo;
  return Object.assign(proxy, {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

async function serveFile(
  root: string,
  url: string,
  cut: StaticProxy['cut'],
  res: import('node:http').ServerResponse,
): Promise<void> {
  let path: string;
  try {
    path = decodeURIComponent(url.split('?')[0]!);
  } catch {
    res.writeHead(400).end('bad path\n');
    return;
  }
  const file = join(root, normalize(path));
  const size = file.startsWith(root)
    ? await stat(file).then((s) => (s.isFile() ? s.size : undefined), () => undefined)
    : undefined;
  if (size === undefined) {
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`not found: ${path}\n`);
    return;
  }
  res.writeHead(200, { 'Content-Length': size });
  const end = cut !== undefined && path.endsWith(cut.suffix) ? cut.bytes : undefined;
  const stream = createReadStream(file, { highWaterMark: 256 << 10, end: end === undefined ? undefined : end - 1 });
  stream.pipe(res, { end: end === undefined });
  if (end !== undefined) stream.on('end', () => res.destroy());
}
