/**
 * Self-test of the end-to-end harness: git fixtures, the go client and the direct-mode oracle,
 * checked against the real go command in direct mode alone (no proxy involved).
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { type DirectOracle, startDirectOracle } from '../support/direct-oracle.ts';
import { createRepo } from '../support/git-fixture.ts';
import { DIRECT_HOST, goGet, goListLatest, goListVersions, goModDownload } from '../support/go-client.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';

const FULL_PATH = 'group/demo';

/** The same repository every time: go.mod, tags v1.0.0 (lightweight) and v1.1.0 (annotated), one commit past them. */
async function buildDemoRepo(root: string): Promise<{ v100: string; head: string }> {
  const repo = await createRepo(root, FULL_PATH);
  const v100 = await repo.commit(
    { 'go.mod': `module ${DIRECT_HOST}/${FULL_PATH}\n\ngo 1.19\n`, 'demo.go': 'package demo\n' },
    { date: '2024-01-02T03:04:05+05:30', message: 'first' },
  );
  await repo.tag('v1.0.0');
  await repo.commit({ 'demo.go': 'package demo\n\nconst Answer = 42\n' }, {
    date: '2024-02-01T12:00:00Z',
    message: 'second',
  });
  await repo.tag('v1.1.0', undefined, { annotated: true, date: '2024-02-01T12:30:00Z' });
  const head = await repo.commit({ 'later.go': 'package demo\n' }, {
    date: '2024-03-01T00:00:00-0800',
    message: 'past the tags',
  });
  return { v100, head };
}

/** `GET http://direct.test<path>` through an oracle's go-get server, as the go command sends it (a proxy request). */
function goGetMeta(oracle: DirectOracle, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(oracle.meta.url);
    const sent = request({ host: url.hostname, port: url.port, path: `http://${DIRECT_HOST}${path}` }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    sent.on('error', reject).end();
  });
}

describe('direct-mode oracle', () => {
  let root: string;
  let oracle: DirectOracle;
  let modulePath: string;

  before(async () => {
    root = await makeTempDir('oracle');
    await buildDemoRepo(root);
    oracle = await startDirectOracle(root);
    modulePath = oracle.modulePath(FULL_PATH);
  });

  after(async () => {
    await oracle.close();
    await removeDir(root);
  });

  test('go list -m -versions lists both tags, not the later branch commit', async () => {
    const listed = await goListVersions(modulePath, oracle.mode);
    assert.equal(listed.exitCode, 0, listed.stderr);
    assert.deepEqual(listed.versions, ['v1.0.0', 'v1.1.0']);
  });

  test('go list -m M@latest picks the newest tag with its committer time in UTC', async () => {
    const latest = await goListLatest(modulePath, oracle.mode);
    assert.equal(latest.exitCode, 0, latest.stderr);
    assert.equal(latest.json?.Version, 'v1.1.0');
    assert.equal(latest.json?.Time, '2024-02-01T12:00:00Z');
  });

  test('go mod download -json of v1.0.0 gives h1 sums, the same for an identical second fixture', async () => {
    const first = await goModDownload(`${modulePath}@v1.0.0`, oracle.mode);
    assert.equal(first.exitCode, 0, first.stderr);
    assert.equal(first.json?.Version, 'v1.0.0');
    assert.match(first.json?.Sum ?? '', /^h1:[A-Za-z0-9+/]{43}=$/);
    assert.match(first.json?.GoModSum ?? '', /^h1:[A-Za-z0-9+/]{43}=$/);

    const secondRoot = await makeTempDir('oracle-again');
    try {
      const rebuilt = await buildDemoRepo(secondRoot);
      assert.equal(rebuilt.v100, first.json?.Origin?.Hash, 'same files and dates give the same commit');
      const second = await startDirectOracle(secondRoot);
      try {
        const again = await goModDownload(`${modulePath}@v1.0.0`, second.mode);
        assert.equal(again.exitCode, 0, again.stderr);
        assert.equal(
          again.json?.Origin?.URL,
          `git://127.0.0.1:${second.gitPort}/${FULL_PATH}.git`,
          'the second oracle answered',
        );
        assert.equal(again.json?.Sum, first.json?.Sum);
        assert.equal(again.json?.GoModSum, first.json?.GoModSum);
      } finally {
        await second.close();
      }
    } finally {
      await removeDir(secondRoot);
    }
    const meta = await goGetMeta(oracle, `/${FULL_PATH}?go-get=1`);
    assert.ok(meta.body.includes(`git://127.0.0.1:${oracle.gitPort}/`), 'the first oracle still answers for itself');
  });

  test('a nonexistent version fails with the error in the JSON', async () => {
    const missing = await goModDownload(`${modulePath}@v9.9.9`, oracle.mode);
    assert.equal(missing.exitCode, 1);
    assert.match(missing.json?.Error ?? '', /unknown revision v9\.9\.9/);
    assert.equal(missing.json?.Sum, undefined);
  });

  test('go get of the branch resolves the commit past the tags to a pseudo-version', async () => {
    const got = await goGet(`${modulePath}@main`, oracle.mode);
    assert.equal(got.exitCode, 0, got.stderr);
    assert.match(got.goMod, /require direct\.test\/group\/demo v1\.1\.1-0\.20240301080000-[0-9a-f]{12} \/\/ indirect/);
    assert.match(got.goSum, /\/go\.mod h1:/);
  });

  test('a run past its timeout is killed and says so', async () => {
    const killed = await goModDownload(`${modulePath}@v1.1.0`, oracle.mode, { timeoutMs: 100 });
    assert.equal(killed.timedOut, true);
    assert.equal(killed.exitCode, null);
  });

  test('the meta server answers sub-paths of a repository and 404s everything else', async () => {
    const found = await goGetMeta(oracle, `/${FULL_PATH}/sub/pkg?go-get=1`);
    assert.equal(found.status, 200);
    assert.ok(
      found.body.includes(
        `<meta name="go-import" content="${DIRECT_HOST}/${FULL_PATH} git git://127.0.0.1:${oracle.gitPort}/${FULL_PATH}.git">`,
      ),
    );
    for (const path of ['/nope/missing?go-get=1', '/group?go-get=1', `/${FULL_PATH}`, `/${FULL_PATH}%2?go-get=1`]) {
      assert.equal((await goGetMeta(oracle, path)).status, 404, path);
    }
  });

  test('an unknown module path fails in direct mode', async () => {
    const unknown = await goModDownload(`${DIRECT_HOST}/nope/missing@v1.0.0`, oracle.mode);
    assert.equal(unknown.exitCode, 1);
    assert.match(unknown.json?.Error ?? '', /404 Not Found/);
    const listed = await goListVersions(`${DIRECT_HOST}/nope/missing`, oracle.mode);
    assert.equal(listed.exitCode, 1);
    assert.equal(listed.versions, undefined);
    assert.match(listed.stderr, /404 Not Found/);
  });
});
