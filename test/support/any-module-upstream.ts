/**
 * An upstream GOPROXY that has every canonical version of every module: `.mod` is `module <path>`
 * plus the text `modSuffix` gives for it, `.info` a fixed time, `list` and zips 404. For tests that
 * need a public proxy with more versions than they could lay out as files (a real one has millions).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AnyModuleUpstream {
  readonly url: string;
  /** Requests so far, as sent. */
  readonly requests: string[];
  close(): Promise<void>;
}

export async function startAnyModuleUpstream(
  modSuffix: (modulePath: string, version: string) => string = () => '',
): Promise<AnyModuleUpstream> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const match = /^\/(.+)\/@v\/(v[^/]+)\.(mod|info)$/.exec(req.url ?? '');
    if (match === null) {
      res.statusCode = 404;
      return res.end('not found\n');
    }
    const [, path, version, kind] = match as unknown as [string, string, string, string];
    res.end(
      kind === 'mod'
        ? `module ${path}\n${modSuffix(path, version)}`
        : JSON.stringify({ Version: version, Time: '2024-01-01T00:00:00Z' }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
