/**
 * Starts the proxy in-process on an ephemeral loopback port, for end-to-end tests.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHandler, type GoProxyHandler, type ProxyOptions } from '../../lib/index.ts';

export interface RunningProxy {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly server: Server;
  readonly handler: GoProxyHandler;
  close(): Promise<void>;
}

export async function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  const handler = createHandler(options);
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
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
