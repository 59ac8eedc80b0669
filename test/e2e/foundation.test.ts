/**
 * The foundation, end to end: the real go client fetches tagged versions of a root module through
 * the instance-wide endpoint and GitLab's per-project endpoint (by id and by path), and gets what it
 * gets in direct mode, as test/oracle/foundation.json records it (`npm run test:oracle`).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type DownloadAnswer, downloadMismatch, type ListAnswer, readAnswerTable } from '../support/answer-tables.ts';
import { DIRECT_HOST, goGet, goListVersions, goModDownloadAll, type GoMode } from '../support/go-client.ts';
import { type RunningProxy, startProxy } from '../support/proxy-server.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';
import { APP as MODULE, buildAppFixture } from '../support/version-fixtures.ts';

const FULL_PATH = 'group/app';
/** What the go command answered in direct mode (test/oracle/foundation.test.ts). */
const TABLE = readAnswerTable<{
  list: Record<string, ListAnswer>;
  download: Record<string, DownloadAnswer>;
  get: Record<string, { goSum: string }>;
}>('foundation');

describe('foundation: tagged versions of a root module', () => {
  let root: string;
  let proxy: RunningProxy;
  let endpoints: Array<[name: string, mode: GoMode]>;

  before(async () => {
    root = await makeTempDir('foundation');
    await buildAppFixture(root);
    proxy = await startProxy({ repos: root, moduleHost: DIRECT_HOST, projects: [{ path: FULL_PATH, id: 42 }] });
    endpoints = [
      ['instance', { proxy: proxy.url }],
      ['project by id', { proxy: `${proxy.url}/api/v4/projects/42/packages/go` }],
      ['project by path', { proxy: `${proxy.url}/api/v4/projects/${encodeURIComponent(FULL_PATH)}/packages/go` }],
    ];
  });

  after(async () => {
    await proxy?.close();
    await removeDir(root);
  });

  test('go list -m -versions agrees with direct mode', async () => {
    assert.deepEqual(TABLE.list[MODULE], { Versions: ['v1.0.0', 'v1.1.0'] });
    await Promise.all(endpoints.map(async ([name, mode]) => {
      const viaProxy = await goListVersions(MODULE, mode);
      assert.deepEqual({ Versions: viaProxy.versions }, TABLE.list[MODULE], `${name}: ${viaProxy.stderr}`);
    }));
  });

  test('go mod download gives the same Version, Time, Sum and GoModSum', async () => {
    const targets = Object.keys(TABLE.download);
    assert.deepEqual(targets, [`${MODULE}@v1.0.0`, `${MODULE}@v1.1.0`]);
    await Promise.all(endpoints.map(async ([name, mode]) => {
      const viaProxy = await goModDownloadAll(targets, mode);
      assert.equal(viaProxy.exitCode, 0, `${name}: ${viaProxy.stderr}`);
      targets.forEach((target, i) => {
        assert.equal(downloadMismatch(TABLE.download[target]!, viaProxy.json[i]), undefined, `${name} ${target}`);
      });
    }));
    for (const [target, recorded] of Object.entries(TABLE.download)) {
      assert.ok('Time' in recorded);
      const info = await (await fetch(`${proxy.url}/${MODULE}/@v/${recorded.Version}.info`)).json();
      assert.equal((info as { Time: string }).Time, recorded.Time, target);
    }
  });

  test('go get in a scratch module writes the same go.sum', async () => {
    const recorded = TABLE.get[`${MODULE}@v1.1.0`]!;
    await Promise.all(endpoints.map(async ([name, mode]) => {
      const viaProxy = await goGet(`${MODULE}@v1.1.0`, mode);
      assert.equal(viaProxy.exitCode, 0, `${name}: ${viaProxy.stderr}`);
      assert.equal(viaProxy.goSum, recorded.goSum, name);
    }));
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
