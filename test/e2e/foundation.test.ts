/**
 * The foundation, end to end: the real go client fetches tagged versions of a root module through
 * the instance-wide endpoint and GitLab's per-project endpoint, and gets what it gets in direct mode.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type DirectOracle, startDirectOracle } from '../support/direct-oracle.ts';
import { createRepo } from '../support/git-fixture.ts';
import { DIRECT_HOST, goGet, goListVersions, goModDownload, type GoMode } from '../support/go-client.ts';
import { type RunningProxy, startProxy } from '../support/proxy-server.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';

const FULL_PATH = 'group/app';
const MODULE = `${DIRECT_HOST}/${FULL_PATH}`;

async function buildRepo(root: string): Promise<void> {
  const repo = await createRepo(root, FULL_PATH);
  await repo.commit(
    {
      'go.mod': `module ${MODULE}\n\ngo 1.19\n`,
      'app.go': 'package app\n\nfunc Answer() int { return 41 }\n',
      'LICENSE': 'MIT\n',
    },
    { date: '2023-05-06T07:08:09+02:00' },
  );
  await repo.tag('v1.0.0');
  await repo.tag('1.0.0'); // not a Go version: never listed
  await repo.commit(
    { 'app.go': 'package app\n\nfunc Answer() int { return 42 }\n', 'internal/x/x.go': 'package x\n' },
    { date: '2023-06-01T00:00:00Z' },
  );
  await repo.tag('v1.1.0', undefined, { annotated: true, date: '2023-06-02T00:00:00Z' });
  await repo.tag('release-1');
  await repo.commit({ 'later.go': 'package app\n' }, { date: '2023-07-01T00:00:00Z' });
}

describe('foundation: tagged versions of a root module', () => {
  let root: string;
  let oracle: DirectOracle;
  let proxy: RunningProxy;
  let endpoints: Array<[name: string, mode: GoMode]>;

  before(async () => {
    root = await makeTempDir('foundation');
    await buildRepo(root);
    oracle = await startDirectOracle(root);
    proxy = await startProxy({ repos: root, moduleHost: DIRECT_HOST, projects: [{ path: FULL_PATH, id: 42 }] });
    endpoints = [
      ['instance', { proxy: proxy.url }],
      ['project by id', { proxy: `${proxy.url}/api/v4/projects/42/packages/go` }],
      ['project by path', { proxy: `${proxy.url}/api/v4/projects/${encodeURIComponent(FULL_PATH)}/packages/go` }],
    ];
  });

  after(async () => {
    await proxy?.close();
    await oracle?.close();
    await removeDir(root);
  });

  test('go list -m -versions agrees with direct mode', async () => {
    const direct = await goListVersions(MODULE, oracle.mode);
    assert.deepEqual(direct.versions, ['v1.0.0', 'v1.1.0']);
    for (const [name, mode] of endpoints) {
      const viaProxy = await goListVersions(MODULE, mode);
      assert.deepEqual(viaProxy.versions, direct.versions, `${name}: ${viaProxy.stderr}`);
    }
  });

  test('go mod download gives the same Version, Time, Sum and GoModSum', async () => {
    for (const version of ['v1.0.0', 'v1.1.0']) {
      const direct = await goModDownload(`${MODULE}@${version}`, oracle.mode);
      assert.ok(direct.json?.Sum, direct.stderr);
      for (const [name, mode] of endpoints) {
        const viaProxy = await goModDownload(`${MODULE}@${version}`, mode);
        assert.equal(viaProxy.json?.Error, undefined, `${name}: ${viaProxy.stderr}`);
        assert.equal(viaProxy.json?.Version, version);
        assert.equal(viaProxy.json?.Sum, direct.json?.Sum, `${name} ${version} Sum`);
        assert.equal(viaProxy.json?.GoModSum, direct.json?.GoModSum, `${name} ${version} GoModSum`);
      }
    }
  });

  test('go get in a scratch module writes the same go.sum', async () => {
    const direct = await goGet(`${MODULE}@v1.1.0`, oracle.mode);
    assert.equal(direct.exitCode, 0, direct.stderr);
    for (const [name, mode] of endpoints) {
      const viaProxy = await goGet(`${MODULE}@v1.1.0`, mode);
      assert.equal(viaProxy.exitCode, 0, `${name}: ${viaProxy.stderr}`);
      assert.equal(viaProxy.goSum, direct.goSum, name);
    }
  });

  test('protocol answers: content types, .info JSON, HEAD, 404/400/405', async () => {
    const get = (path: string, init?: RequestInit) => fetch(`${proxy.url}${path}`, init);
    const list = await get(`/${MODULE}/@v/list`);
    assert.equal(list.status, 200);
    assert.match(list.headers.get('content-type') ?? '', /^text\/plain/);
    assert.equal(await list.text(), 'v1.0.0\nv1.1.0\n');

    const info = await get(`/${MODULE}/@v/v1.0.0.info`);
    assert.equal(info.headers.get('content-type'), 'application/json');
    const json = (await info.json()) as { Version: string; Time: string };
    assert.equal(json.Version, 'v1.0.0');
    assert.equal(json.Time, '2023-05-06T05:08:09Z'); // committer time in UTC, whole seconds

    const mod = await get(`/${MODULE}/@v/v1.0.0.mod`);
    assert.equal(await mod.text(), `module ${MODULE}\n\ngo 1.19\n`);

    const head = await get(`/${MODULE}/@v/v1.0.0.zip`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-type'), 'application/zip');
    assert.equal((await head.arrayBuffer()).byteLength, 0);

    const expectText = async (response: Response, status: number, pattern: RegExp) => {
      assert.equal(response.status, status);
      assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
      const body = await response.text();
      assert.match(body, pattern);
      assert.equal(body.trimEnd().includes('\n'), false, 'one line');
    };
    await expectText(await get(`/${MODULE}/@v/v9.9.9.info`), 404, /unknown revision v9\.9\.9/);
    await expectText(await get(`/${MODULE}/@v/v9.9.9.zip`), 404, /unknown revision/);
    await expectText(await get(`/${DIRECT_HOST}/nope/x/@v/list`), 404, /not found/);
    await expectText(await get(`/api/v4/projects/999/packages/go/${MODULE}/@v/list`), 404, /not found/);
    await expectText(await get(`/api/v4/projects/42/packages/go/${DIRECT_HOST}/other/@v/list`), 404, /not found/);
    await expectText(await get(`/${DIRECT_HOST}/Bad/@v/list`), 400, /bad request/);
    await expectText(await get(`/${MODULE}/@v/v1.0.0.info`, { method: 'POST' }), 405, /not allowed/);
    await expectText(await get('/sumdb/sum.golang.org/supported'), 404, /checksum database/);
    await expectText(await get('/-/nothing'), 404, /not found/);
  });
});
