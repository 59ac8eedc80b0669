/**
 * Clients slower than git (issue #15, part 3), over real HTTP against real repositories: a slow
 * reader's zip is spooled to disk so that git exits and frees its slot while the client still
 * reads; the spool is bounded (past it a zip goes on at its client's pace) and cleaned up; one
 * client has a bounded number of zips under way (429 past it).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { type IncomingMessage, request } from 'node:http';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { hashToken } from '../../lib/access/auth.ts';
import { RUN_ID } from '../../lib/common/owned-files.ts';
import { childProcessCount } from '../support/child-processes.ts';
import { createRepo } from '../support/git-fixture.ts';
import { fetchOnce } from '../support/http-fetch.ts';
import { type RunningProxy, startProxy } from '../support/proxy-server.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';
import { within } from '../support/wait.ts';

const HOST = 'go.localhost';
const DATE = '2023-01-02T03:04:05Z';
const SECRET = 'slow-clients-secret';

/** Live `git archive` processes: one per zip being made. */
const archives = (): number => childProcessCount('archive');

/** A client that takes 1 KiB of the body every 20 ms (bytes keep moving, far slower than git) until told otherwise. */
class SlowReader {
  readonly #req;
  readonly #response: Promise<IncomingMessage>;
  readonly #chunks: Buffer[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(url: string) {
    this.#req = request(url, { agent: false, headers: { Connection: 'close' } });
    this.#response = new Promise((resolve, reject) => {
      this.#req.on('error', reject);
      this.#req.on('response', (res) => {
        res.pause();
        this.#timer = setInterval(() => {
          const chunk = res.read(1024) as Buffer | null;
          if (chunk !== null) this.#chunks.push(chunk);
        }, 20);
        resolve(res);
      });
    });
    this.#req.end();
  }

  get received(): number {
    return this.#chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  }

  async status(): Promise<number> {
    return (await this.#response).statusCode ?? 0;
  }

  /** Goes away mid-body. */
  leave(): void {
    clearInterval(this.#timer);
    this.#req.destroy();
  }

  /** Reads the rest at full speed; resolves with the whole body and whether it ended as a whole one. */
  async finish(): Promise<{ body: Buffer; complete: boolean }> {
    const res = await this.#response;
    clearInterval(this.#timer);
    try {
      for await (const chunk of res) this.#chunks.push(chunk as Buffer);
    } catch {
      // cut off: `complete` says so
    }
    return { body: Buffer.concat(this.#chunks), complete: res.complete };
  }
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

describe('clients slower than git', () => {
  let root: string;
  let spoolDir: string;
  let proxy: RunningProxy;
  let bigZip: string;
  let reference: Buffer;
  const spoolFiles = (
    dir = spoolDir,
  ): string[] => (existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith('.spool')) : []);

  before(async () => {
    root = await makeTempDir('slow-clients');
    const big = await createRepo(root, 'group/big');
    await big.commit({
      'go.mod': `module ${HOST}/group/big\n`,
      'a.bin': randomBytes(24 << 20),
      'b.go': 'package big\n',
    }, { date: DATE });
    await big.tag('v1.0.0');
    const small = await createRepo(root, 'group/small');
    await small.commit({ 'go.mod': `module ${HOST}/group/small\n`, 's.go': 'package small\n' }, { date: DATE });
    await small.tag('v1.0.0');
    spoolDir = join(root, '.git-goproxy', 'spool');
    // Two git slots, as on the machine: two slow readers used to hold both.
    proxy = await startProxy({ repos: root, compression: 'store', maxGit: 2 });
    bigZip = `${proxy.url}/${HOST}/group/big/@v/v1.0.0.zip`;
    reference = (await fetchOnce(bigZip)).body;
    assert.equal(reference.length > 24 << 20, true);
  });

  /** Slow readers of the current test, left when it ends (passed or not). */
  const readers: SlowReader[] = [];
  afterEach(() => {
    for (const reader of readers.splice(0)) reader.leave();
  });

  after(async () => {
    await proxy?.close();
    await removeDir(root);
  });

  test('two slow readers: a third client gets a small zip at once, git exits while they read, spool files go with their clients', async () => {
    const slow = [new SlowReader(bigZip), new SlowReader(bigZip)];
    readers.push(...slow);
    assert.deepEqual(await Promise.all(slow.map((reader) => reader.status())), [200, 200]);
    await within(10_000, () => slow.every((reader) => reader.received > 0), 'both slow clients reading');

    const small = await Promise.race([fetchOnce(`${proxy.url}/${HOST}/group/small/@v/v1.0.0.zip`), sleep(5000)]);
    assert.ok(small !== undefined, 'the third client got no answer within 5 s');
    assert.equal(small.status, 200);
    assert.ok(small.complete);

    await within(20_000, () => archives() === 0, 'git archive done while the slow clients read');
    assert.ok(slow.every((reader) => reader.received < 8 << 20), 'both still far from the end');
    assert.equal(spoolFiles().length, 2);
    const pins = readFileSync(join(root, '.git-goproxy', 'pins.jsonl'), 'utf8');
    assert.match(pins, /group\/big.*"zip":"h1:/, 'the pin holds before any slow client has the end record');
    const metrics = (await fetchOnce(`${proxy.url}/metrics`)).body.toString();
    assert.match(metrics, /^git_goproxy_zip_spool_files 2$/m);
    assert.match(metrics, /^git_goproxy_zip_streams 2$/m);
    const spooledBytes = Number(/^git_goproxy_zip_spool_bytes (\d+)$/m.exec(metrics)?.[1]);
    // Git is done: all of each zip that its reader has not taken, less what the sockets hold, is on disk.
    const notTaken = slow.reduce((sum, reader) => sum + reference.length - reader.received, 0);
    const inSockets = 2 * (8 << 20);
    assert.ok(spooledBytes > notTaken - inSockets, `spooled ${spooledBytes} bytes of ${notTaken} not yet taken`);

    slow[0]!.leave();
    await within(2000, () => spoolFiles().length === 1, "the leaving client's spool file removed");
    const whole = await slow[1]!.finish();
    assert.ok(whole.complete);
    assert.equal(sha256(whole.body), sha256(reference));
    await within(2000, () => spoolFiles().length === 0, "the finished client's spool file removed");
    assert.match((await fetchOnce(`${proxy.url}/metrics`)).body.toString(), /^git_goproxy_zip_spool_bytes 0$/m);
  });

  test('at the spool bound a zip goes on at its client pace: git waits for it, the spool file stays at the bound, the zip is whole', async () => {
    const dataDir = join(root, 'data-bounded');
    const bounded = await startProxy({ repos: root, compression: 'store', dataDir, zipSpoolMiB: 1 });
    try {
      const reader = new SlowReader(`${bounded.url}/${HOST}/group/big/@v/v1.0.0.zip`);
      readers.push(reader);
      assert.equal(await reader.status(), 200);
      const dir = join(dataDir, 'spool');
      await metricWithin(bounded, 5000, /^git_goproxy_zip_spool_full_total 1$/m, 'the spool reached its bound');
      await sleep(300);
      assert.equal(archives(), 1, 'git waits for the client');
      const [file] = spoolFiles(dir);
      assert.ok(file !== undefined && statSync(join(dir, file)).size <= 1 << 20, 'the spool file is within the bound');
      const whole = await reader.finish();
      assert.ok(whole.complete);
      assert.equal(sha256(whole.body), sha256(reference));
      await within(2000, () => archives() === 0 && spoolFiles(dir).length === 0, 'git done, spool file removed');
    } finally {
      await bounded.close();
    }
  });

  test('a client has at most zipStreamsPerClient zips under way: the next is 429 with Retry-After; a token is a client of its own', async () => {
    const limited = await startProxy({
      repos: root,
      compression: 'store',
      dataDir: join(root, 'data-limited'),
      zipStreamsPerClient: 2,
      tokens: [{ name: 'ci', sha256: hashToken(SECRET), grants: ['**'] }],
    });
    try {
      const url = `${limited.url}/${HOST}/group/big/@v/v1.0.0.zip`;
      const slow = [new SlowReader(url), new SlowReader(url)];
      readers.push(...slow);
      assert.deepEqual(await Promise.all(slow.map((reader) => reader.status())), [200, 200]);
      const refused = await fetchOnce(url);
      assert.equal(refused.status, 429);
      assert.equal(refused.headers['retry-after'], '1');
      assert.equal(
        refused.body.toString(),
        'too many zip downloads at once from this client (at most 2), retry later\n',
      );
      const withToken = await fetchOnce(`${limited.url}/${HOST}/group/small/@v/v1.0.0.zip`, {
        headers: { 'Private-Token': SECRET },
      });
      assert.equal(withToken.status, 200, 'a token holder is counted apart from the address');
      await metricWithin(limited, 0, /^git_goproxy_zip_streams_refused_total 1$/m, 'the refusal is counted');
      slow[0]!.leave();
      await metricWithin(limited, 2000, /^git_goproxy_zip_streams 1$/m, 'the place is given back');
      assert.equal((await fetchOnce(`${limited.url}/${HOST}/group/small/@v/v1.0.0.zip`)).status, 200);
    } finally {
      await limited.close();
    }
  });

  test('spool files of processes that are gone are removed at start, a live sibling keeps its own; close() removes the rest', async () => {
    const dataDir = join(root, 'data-leftovers');
    const dir = join(dataDir, 'spool');
    mkdirSync(dir, { recursive: true });
    const deadPid = 2 ** 22 + 1; // above Linux's pid_max
    const leftovers = [`${deadPid}.abcd1234.0.spool`, `${process.pid}.00000000.3.spool`];
    const sibling = `1.abcd1234.0.spool`; // pid 1 is alive
    for (const name of [...leftovers, sibling, 'unrelated.txt']) writeFileSync(join(dir, name), 'x');
    const restarted = await startProxy({ repos: root, compression: 'store', dataDir });
    try {
      assert.deepEqual(readdirSync(dir).sort(), [sibling, 'unrelated.txt'].sort());
      const reader = new SlowReader(`${restarted.url}/${HOST}/group/big/@v/v1.0.0.zip`);
      readers.push(reader);
      assert.equal(await reader.status(), 200);
      await within(
        5000,
        () => spoolFiles(dir).some((name) => name.startsWith(`${process.pid}.${RUN_ID}.`)),
        'a spool file of ours',
      );
      await restarted.handler.close();
      assert.deepEqual(spoolFiles(dir), [sibling], 'close() removed ours');
      reader.leave();
    } finally {
      await restarted.close();
    }
  });
});

/** Polls the proxy's `/metrics` until it has a line matching `line`. */
async function metricWithin(proxy: RunningProxy, ms: number, line: RegExp, what: string): Promise<void> {
  const start = performance.now();
  while (!line.test((await fetchOnce(`${proxy.url}/metrics`)).body.toString())) {
    if (performance.now() - start > ms) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(20);
  }
}
