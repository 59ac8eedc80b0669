/**
 * A toolchain-sized module from an upstream proxy (200 MiB of random bytes, written as Go writes
 * zips) through the server as users run it (`lib/server.ts`, a process of its own): the first
 * download streams to the client while it goes into the cache, in bounded memory; the second comes
 * from the cache; an upstream that cuts it mid-way fails the client's download and leaves nothing
 * behind. How fast is measured in `npm run bench` (its "upstream" row), not here.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { join } from 'node:path';
import { type CliServer, startCliServer } from '../support/cli-server.ts';
import { startStaticProxy, type StaticProxy } from '../support/static-proxy.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';
import { upstreamToolsMissing, writeBigZip } from '../support/upstream-tools.ts';

const MODULE = 'golang.org/toolchain';
const VERSION = 'v0.0.1-go1.99.0.linux-amd64';
const ZIP = `/${MODULE}/@v/${VERSION}.zip`;
/** The other version, cut by the upstream half-way. */
const CUT_VERSION = 'v0.0.1-go1.99.1.linux-amd64';
const MIB = 200;
const MAX_RSS_MB = 150;

describe('a toolchain-sized module from an upstream proxy', { skip: upstreamToolsMissing() }, () => {
  let root: string;
  let upstream: StaticProxy;
  let server: CliServer;
  let zipDigest: string;

  before(async () => {
    root = await makeTempDir('upstream-large');
    const dir = join(root, 'download', MODULE, '@v');
    await mkdir(dir, { recursive: true });
    await mkdir(join(root, 'repos'));
    for (const version of [VERSION, CUT_VERSION]) {
      await writeFile(join(dir, `${version}.info`), JSON.stringify({ Version: version, Time: '2023-08-01T00:00:00Z' }));
      await writeFile(join(dir, `${version}.mod`), `module ${MODULE}\n`);
      await writeBigZip(MODULE, version, 100, version === VERSION ? MIB : 16, join(dir, `${version}.zip`));
    }
    zipDigest = await sha256(createReadStream(join(dir, `${VERSION}.zip`)));
    upstream = await startStaticProxy(join(root, 'download'));
    server = await startCliServer([
      '--repos',
      join(root, 'repos'),
      '--data',
      join(root, 'data'),
      '--upstream',
      upstream.url,
      '--log-level',
      'warn',
    ]);
  });

  after(async () => {
    await server?.stop();
    await upstream?.close();
    await removeDir(root);
  });

  test(`the first download streams through in bounded memory (peak RSS ≤ ${MAX_RSS_MB} MB), the second comes from the cache`, async (t) => {
    const first = await fetchDigest(`${server.url}${ZIP}`);
    assert.equal(first.status, 200);
    assert.equal(first.digest, zipDigest);
    const peak = await peakRssMB(server.child.pid!);
    t.diagnostic(`server peak RSS ${peak.toFixed(0)} MB`);
    assert.ok(peak <= MAX_RSS_MB, `server peak RSS ${peak.toFixed(0)} MB`);
    const asked = upstream.requests.length;
    const second = await fetchDigest(`${server.url}${ZIP}`);
    assert.equal(second.digest, zipDigest);
    // Complete in the cache: sent with its length.
    assert.equal(second.length, String((await stat(join(root, 'download', ZIP))).size));
    assert.equal(upstream.requests.length, asked, 'the second download asked the upstream');
  });

  test('an upstream that cuts the zip half-way: the download under way fails, nothing is kept', async () => {
    const zip = `/${MODULE}/@v/${CUT_VERSION}.zip`;
    upstream.cut = { suffix: `${CUT_VERSION}.zip`, bytes: 8 << 20 };
    const cut = await fetchDigest(`${server.url}${zip}`).catch((error: Error) => error);
    upstream.cut = undefined;
    assert.ok(cut instanceof Error || cut.status === 502, `a cut zip was answered ${JSON.stringify(cut)}`);
    const files = await readdir(join(root, 'data/upstream'));
    assert.deepEqual(files.filter((name) => name.endsWith('.part')), []);
    const whole = await fetchDigest(`${server.url}${zip}`);
    assert.equal(whole.status, 200);
    assert.equal(
      whole.digest,
      await sha256(createReadStream(join(root, 'download', zip))),
    );
  });
});

async function sha256(chunks: AsyncIterable<Buffer>): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of chunks) hash.update(chunk);
  return hash.digest('hex');
}

/** GETs `url`, hashing the body as it comes; rejects when the connection is cut. */
function fetchDigest(url: string): Promise<{ status: number; digest: string; length: string | undefined }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      sha256(res).then(
        (digest) => resolve({ status: res.statusCode ?? 0, digest, length: res.headers['content-length'] }),
        reject,
      );
    }).on('error', reject);
  });
}

/** Peak resident memory of a process so far (VmHWM), in MB. */
async function peakRssMB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return (Number(/^VmHWM:\s+(\d+) kB/m.exec(status)![1]) * 1024) / 1e6;
}
