/**
 * The zip cache (`zipCacheMiB`) over real HTTP, git and the go client: the go client gets the same
 * `h1:` as from the proxy without a cache; concurrent requests for one zip start one `git archive`;
 * a complete zip is served from disk with Content-Length, HEAD, single ranges (206) and 416; a lone
 * client that hangs up still kills its git process; a refused zip is the same 404 as without it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startedChildCount } from '../../lib/git/children.ts';
import { childProcessCount } from '../support/child-processes.ts';
import { createRepo } from '../support/git-fixture.ts';
import { goModDownload } from '../support/go-client.ts';
import { fetchOnce } from '../support/http-fetch.ts';
import { type RunningProxy, startProxy } from '../support/proxy-server.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';
import { within } from '../support/wait.ts';
import { zipHash } from '../support/zip-hash.ts';

const HOST = '127.0.0.1';
const MODULE = `${HOST}/group/cached`;
const DATE = '2024-03-04T05:06:07Z';

describe('zip cache', () => {
  let root: string;
  let cached: RunningProxy;
  let plain: RunningProxy;
  let zipUrl: string;

  before(async () => {
    root = await makeTempDir('zip-cache-e2e');
    const repo = await createRepo(join(root, 'repos'), 'group/cached');
    const files: Record<string, string | Uint8Array> = {
      'go.mod': `module ${MODULE}\n\ngo 1.19\n`,
      'big.bin': randomBytes(8 << 20),
    };
    for (let i = 0; i < 200; i++) files[`p${i % 8}/f${i}.go`] = `package p${i % 8}\n\nconst N${i} = ${i}\n`;
    await repo.commit(files, { date: DATE });
    await repo.tag('v1.0.0');
    await repo.commit({ 'Dup.go': 'package cached\n', 'dup.go': 'package cached\n' }, { date: DATE }); // a case-fold collision: no zip
    await repo.tag('v1.1.0');
    const common = { repos: join(root, 'repos'), moduleHost: HOST, defaultVisibility: 'public' as const };
    cached = await startProxy({ ...common, dataDir: join(root, 'data-cached'), zipCacheMiB: 64 });
    plain = await startProxy({ ...common, dataDir: join(root, 'data-plain') });
    zipUrl = `${cached.url}/${MODULE}/@v/v1.0.0.zip`;
  });

  after(async () => {
    await cached?.close();
    await plain?.close();
    await removeDir(root);
  });

  test('a lone client that hangs up mid-build kills its git process and leaves nothing behind', async () => {
    const result = await fetchOnce(zipUrl, { onChunk: () => 'disconnect' });
    assert.equal(result.status, 200);
    await within(2000, () => childProcessCount('archive') === 0, 'git archive killed');
    const zips = join(root, 'data-cached', 'zips');
    await within(2000, () => readdirSync(zips).length === 0, `the cache's partial file removed: ${readdirSync(zips)}`);
  });

  test('concurrent requests share one git archive; each gets the whole zip', async () => {
    const before = startedChildCount();
    const answers = await Promise.all(Array.from({ length: 8 }, () => fetchOnce(zipUrl)));
    const started = startedChildCount() - before;
    for (const answer of answers) {
      assert.equal(answer.status, 200);
      assert.ok(answer.complete);
    }
    assert.equal(new Set(answers.map((answer) => zipHash(answer.body))).size, 1);
    // One ls-tree and one archive (plus at most a merge-base or object reader restart), not eight of each.
    assert.ok(started <= 3, `${started} git processes for 8 requests`);
    assert.equal(zipHash(answers[0]!.body), zipHash((await fetchOnce(`${plain.url}/${MODULE}/@v/v1.0.0.zip`)).body));
  });

  test('a complete zip comes from disk: Content-Length, Accept-Ranges, HEAD, 206 ranges and 416, no git', async () => {
    const whole = await fetchOnce(zipUrl);
    const before = startedChildCount();
    const size = whole.body.length;
    const again = await fetchOnce(zipUrl);
    assert.equal(Number(again.headers['content-length']), size);
    assert.equal(again.headers['accept-ranges'], 'bytes');
    assert.deepEqual(again.body, whole.body);
    const head = await fetchOnce(zipUrl, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(Number(head.headers['content-length']), size);

    const ranged = await fetchOnce(zipUrl, { headers: { Range: 'bytes=100-199' } });
    assert.equal(ranged.status, 206);
    assert.equal(ranged.headers['content-range'], `bytes 100-199/${size}`);
    assert.deepEqual(ranged.body, whole.body.subarray(100, 200));
    const tail = await fetchOnce(zipUrl, { headers: { Range: 'bytes=-22' } });
    assert.deepEqual(tail.body, whole.body.subarray(size - 22));
    const beyond = await fetchOnce(zipUrl, { headers: { Range: `bytes=${size}-` } });
    assert.equal(beyond.status, 416);
    assert.equal(beyond.headers['content-range'], `bytes */${size}`);
    assert.equal(startedChildCount(), before, 'no git process for a cached zip');
  });

  test('a zip the go command would refuse is the same 404 with the cache on', async () => {
    const [withCache, without] = await Promise.all([
      fetchOnce(`${cached.url}/${MODULE}/@v/v1.1.0.zip`),
      fetchOnce(`${plain.url}/${MODULE}/@v/v1.1.0.zip`),
    ]);
    assert.equal(withCache.status, 404);
    assert.equal(withCache.body.toString(), without.body.toString());
    assert.equal(childProcessCount('archive'), 0);
  });

  test('the go client downloads through the cache with the same h1: as without it', async () => {
    const [viaCache, viaPlain] = await Promise.all([
      goModDownload(`${MODULE}@v1.0.0`, { proxy: cached.url }),
      goModDownload(`${MODULE}@v1.0.0`, { proxy: plain.url }),
    ]);
    assert.equal(viaCache.exitCode, 0, viaCache.stderr);
    assert.equal(viaPlain.exitCode, 0, viaPlain.stderr);
    assert.match(viaCache.json?.Sum ?? '', /^h1:/);
    assert.equal(viaCache.json?.Sum, viaPlain.json?.Sum);
  });
});
