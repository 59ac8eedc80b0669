/**
 * A large go.mod costs the event loop once, not per request (issue 15, part 4): its gzip, its
 * hash for the pin, its module path and its retractions are each worked out once per blob. The bound
 * is relative to the machine: ten rounds of a `.mod` (gzip) and a branch `.info` request together
 * take less than four times what compressing and reading that go.mod once takes here, where the old
 * code spent that on every request (fifteen times it, measured).
 */
import assert from 'node:assert/strict';
import { get } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { retractions } from '../../lib/modules/gomod-lax.ts';
import { createRepo } from '../support/git-fixture.ts';
import { fetchOnce } from '../support/http-fetch.ts';
import { type RunningProxy, startProxy } from '../support/proxy-server.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';

const MODULE = 'go.localhost/corp/big';
const REPEATS = 10;
/** Rounds first run untimed, so that compiling the code paths is not counted. */
const WARM_UP = 3;

let root: string;
let proxy: RunningProxy;
let goMod: string;

before(async () => {
  root = await makeTempDir('large-go-mod');
  const requires = Array.from({ length: 180_000 }, (_, i) => `\texample.com/dependency/number${i} v1.2.${i}\n`).join(
    '',
  );
  goMod = `module ${MODULE}\n\ngo 1.19\n\nrequire (\n${requires})\n\nretract v0.9.0\n`;
  const repo = await createRepo(join(root, 'repos'), 'corp/big');
  await repo.commit({ 'go.mod': goMod, 'big.go': 'package big\n' }, { date: '2024-01-01T00:00:00Z' });
  await repo.tag('v1.0.0');
  proxy = await startProxy({ repos: join(root, 'repos'), projects: [{ path: 'corp/big', visibility: 'public' }] });
});

after(async () => {
  await proxy?.close();
  await removeDir(root);
});

/** GETs `url` and reads its body without keeping it: the status, Content-Encoding and body length. */
function drain(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; encoding: string | undefined; length: number }> {
  return new Promise((resolve, reject) => {
    get(url, { headers, agent: false }, (res) => {
      let length = 0;
      res.on('data', (chunk: Buffer) => (length += chunk.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, encoding: res.headers['content-encoding'], length }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

/** The shortest of three runs of `work`, in milliseconds. */
function fastest(work: () => unknown): number {
  const times = [0, 1, 2].map(() => {
    const start = performance.now();
    work();
    return performance.now() - start;
  });
  return Math.min(...times);
}

test('repeated .mod (gzip) and branch .info requests for a multi-MiB go.mod do not redo the work per request', async (t) => {
  assert.ok(goMod.length > 7 << 20, 'a multi-MiB go.mod');
  const once = fastest(() => gzipSync(goMod)) + fastest(() => retractions(goMod));
  const modUrl = `${proxy.url}/${MODULE}/@v/v1.0.0.mod`;
  const infoUrl = `${proxy.url}/${MODULE}/@v/main.info`;
  const first = await fetchOnce(modUrl, { headers: { 'accept-encoding': 'gzip' } });
  assert.equal(first.headers['content-encoding'], 'gzip');
  assert.equal(gunzipSync(first.body).toString(), goMod);
  assert.match((await fetchOnce(infoUrl)).body.toString(), /"Version":"v1\.0\.0"/);

  const round = async () => {
    const [gzipped, info] = await Promise.all([drain(modUrl, { 'accept-encoding': 'gzip' }), drain(infoUrl)]);
    assert.deepEqual(gzipped, { status: 200, encoding: 'gzip', length: first.body.length });
    assert.equal(info.status, 200);
  };
  for (let i = 0; i < WARM_UP; i++) await round();
  const start = performance.now();
  for (let i = 0; i < REPEATS; i++) await round();
  const elapsed = performance.now() - start;
  t.diagnostic(`${REPEATS} rounds: ${elapsed.toFixed(0)} ms; the work once: ${once.toFixed(0)} ms`);
  assert.ok(
    elapsed < 4 * once,
    `${REPEATS} rounds took ${elapsed.toFixed(0)} ms; compressing and reading the go.mod once takes ${
      once.toFixed(0)
    } ms`,
  );
});
