/**
 * The "upstream" part of `npm run bench` (`--only=upstream`): a toolchain-sized module (a zip of
 * random bytes written as Go writes zips, 200 MiB, or 40 with `--quick`) served by a file-layout
 * upstream (the static server of the tests, test/support/static-proxy.ts), downloaded over
 * loopback HTTP by a client that drops it:
 * - from the upstream directly (the best of three): the throughput to match;
 * - through the server (`node lib/server.js --upstream …`, a fresh data directory): the first
 *   download, which streams to the client while it is written to the cache and hashed for the pin,
 *   and from the cache with no upstream request (the best of three);
 * with the server's peak RSS over both and the number of upstream requests the second made.
 */
import { get } from 'node:http';
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startStaticProxy } from '../test/support/static-proxy.ts';
import { upstreamToolsMissing, writeBigZip } from '../test/support/upstream-tools.ts';

export interface UpstreamRow {
  readonly module: string;
  readonly zipBytes: number;
  /** Seconds to download the zip from the upstream directly (the best of three). */
  readonly staticSeconds: number;
  /** Through the server: the first download (from the upstream, into the cache), and from the cache (the best of three). */
  readonly firstSeconds: number;
  readonly cachedSeconds: number;
  readonly serverPeakRssMB: number;
  /** Upstream requests the downloads from the cache made (0: they came from the cache). */
  readonly cachedUpstreamRequests: number;
}

/** A server started with more config (the bench's `startServer`). */
export interface UpstreamBenchServer {
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

export interface UpstreamBenchContext {
  /** Where generated files are kept between runs (`bench/.cache/<quick|full>`). */
  readonly cacheDir: string;
  readonly quick: boolean;
  readonly startServer: (config: { upstream: string[] }) => Promise<UpstreamBenchServer>;
  readonly resetPeakRss: (pid: number) => Promise<void>;
  readonly peakRssMB: (pid: number) => Promise<number>;
}

const MODULE = 'golang.org/toolchain';
const VERSION = 'v0.0.1-go1.99.0.linux-amd64';

/** The upstream row, or undefined (with the reason on stderr) where x/mod's source is missing. */
export async function measureUpstream(context: UpstreamBenchContext): Promise<UpstreamRow | undefined> {
  const missing = upstreamToolsMissing();
  if (missing !== undefined) {
    process.stderr.write(`upstream: skipped: ${missing}\n`);
    return undefined;
  }
  const root = join(context.cacheDir, 'upstream');
  const zipPath = `/${MODULE}/@v/${VERSION}.zip`;
  await writeUpstream(root, context.quick ? 40 : 200);
  const upstream = await startStaticProxy(join(root, 'download'));
  try {
    const zipBytes = (await stat(join(root, 'download', zipPath))).size;
    const direct = [];
    for (let i = 0; i < 3; i++) direct.push(await download(`${upstream.url}${zipPath}`, zipBytes));
    const server = await context.startServer({ upstream: [upstream.url] });
    try {
      await context.resetPeakRss(server.pid);
      const firstSeconds = await download(`${server.url}${zipPath}`, zipBytes);
      const before = upstream.requests.length;
      const cached = [];
      for (let i = 0; i < 3; i++) cached.push(await download(`${server.url}${zipPath}`, zipBytes));
      return {
        module: `${MODULE}@${VERSION}`,
        zipBytes,
        staticSeconds: Math.min(...direct),
        firstSeconds,
        cachedSeconds: Math.min(...cached),
        serverPeakRssMB: await context.peakRssMB(server.pid),
        cachedUpstreamRequests: upstream.requests.length - before,
      };
    } finally {
      await server.stop();
    }
  } finally {
    await upstream.close();
  }
}

/** The upstream's files (kept between runs): a file-layout GOPROXY holding one toolchain-sized module. */
async function writeUpstream(root: string, mib: number): Promise<void> {
  const dir = join(root, 'download', MODULE, '@v');
  const zip = join(dir, `${VERSION}.zip`);
  if ((await stat(zip).catch(() => undefined)) !== undefined) return;
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'list'), `${VERSION}\n`);
  await writeFile(join(dir, `${VERSION}.info`), JSON.stringify({ Version: VERSION, Time: '2023-08-01T00:00:00Z' }));
  await writeFile(join(dir, `${VERSION}.mod`), `module ${MODULE}\n`);
  await writeBigZip(MODULE, VERSION, 100, mib, `${zip}.part`);
  await rename(`${zip}.part`, zip);
}

/** Seconds to GET `url` and drop its body, which must be `bytes` long. */
function download(url: string, bytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let received = 0;
    get(url, { agent: false }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`${url}: ${res.statusCode}`));
      res.on('data', (chunk: Buffer) => (received += chunk.length));
      res.on(
        'end',
        () =>
          received === bytes
            ? resolve((performance.now() - started) / 1000)
            : reject(new Error(`${url}: ${received} of ${bytes} bytes`)),
      );
      res.on('error', reject);
    }).on('error', reject);
  });
}
