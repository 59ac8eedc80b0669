/**
 * A forward proxy that makes a made-up host name (`direct.test`, `private.test`) reachable on its
 * default ports for the go command, without binding port 80 or 443 and without DNS: the go command
 * gets the proxy as HTTP_PROXY and HTTPS_PROXY (`env`), and sends it
 * - `GET http://<host>/…` requests, which `http` answers (others get a 404);
 * - `CONNECT <host>:443` for https, tunnelled to a TLS server on loopback (`httpsPort`), or refused at
 *   once without one (the go command then falls back to http where GOINSECURE allows it).
 * The proxy listens on 127.0.0.1 on a port the OS picks, so any number of them, in any number of test
 * runs, coexist. The go command never sends loopback hosts (`127.0.0.1`, `localhost`) through a
 * proxy (net/http `ProxyFromEnvironment`), which is why the host must be a name.
 */
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';

export interface HostProxy {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** HTTP_PROXY and HTTPS_PROXY for the go command. */
  readonly env: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

export interface HostProxyOptions {
  /** The host name the proxy answers for. */
  readonly host: string;
  /** Answers plain-HTTP requests for the host (the request's `url` is absolute: `http://<host>/…`). */
  readonly http?: RequestListener;
  /** Port of a TLS server on 127.0.0.1 that `CONNECT <host>:443` reaches; without it CONNECT is refused. */
  readonly httpsPort?: number;
}

export async function startHostProxy(options: HostProxyOptions): Promise<HostProxy> {
  const tunnels = new Set<Socket>();
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    if (options.http !== undefined && new URL(request.url ?? '/', 'http://unknown').host === options.host) {
      options.http(request, response);
      return;
    }
    response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`not ${options.host}\n`);
  });
  server.on('connect', (request: IncomingMessage, client: Duplex) => {
    if (options.httpsPort === undefined || request.url !== `${options.host}:443`) {
      client.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const upstream = connect(options.httpsPort, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.pipe(client).pipe(upstream);
    });
    tunnels.add(upstream);
    upstream.once('close', () => tunnels.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    env: { HTTP_PROXY: url, HTTPS_PROXY: url },
    close: () =>
      new Promise<void>((resolve) => {
        for (const tunnel of tunnels) tunnel.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
