/**
 * Starts the proxy in-process on a loopback port (ephemeral unless one is asked for), for
 * end-to-end tests; over HTTPS when given a key and certificate (see tls.ts).
 */
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createProxyServer, type ServerTimeouts } from '../../lib/http/server.ts';
import { createHandler, type GoProxyHandler, type ProxyOptions } from '../../lib/index.ts';

export interface RunningProxy {
  /** `http://127.0.0.1:PORT`, or `https://127.0.0.1[:PORT]` (no port when it is 443). */
  readonly url: string;
  readonly server: Server;
  readonly handler: GoProxyHandler;
  close(): Promise<void>;
}

/** How to listen. */
export interface ListenOptions {
  /** Serve HTTPS with this PEM key and certificate. */
  readonly tls?: { readonly key: string; readonly cert: string };
  /** Port on 127.0.0.1; default: an ephemeral one. */
  readonly port?: number;
  /** Serve HTTP through the CLI's `createProxyServer` with these limits (as `node lib/server.js` does). */
  readonly timeouts?: ServerTimeouts;
}

export async function startProxy(options: ProxyOptions, listen: ListenOptions = {}): Promise<RunningProxy> {
  // Tests read answers, not the access log: keep their output to warnings unless a test asks for more.
  const handler = createHandler({ logLevel: 'warn', ...options });
  const server: Server = listen.tls !== undefined
    ? createHttpsServer(listen.tls, handler)
    : listen.timeouts !== undefined
    ? createProxyServer(handler, listen.timeouts)
    : createServer(handler);
  try {
    // As the CLI does: listen once the first scan of repos is done.
    await handler.ready;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(listen.port ?? 0, '127.0.0.1', resolve);
    });
  } catch (error) {
    await handler.close();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const scheme = listen.tls === undefined ? 'http' : 'https';
  return {
    url: scheme === 'https' && port === 443 ? 'https://127.0.0.1' : `${scheme}://127.0.0.1:${port}`,
    server,
    handler,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          handler.close().then(resolve, resolve);
        });
      }),
  };
}
