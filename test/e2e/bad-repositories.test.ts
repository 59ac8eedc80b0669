/**
 * One bad project degrades only itself: a public project whose path ends in a major version
 * (`grp/v2`, a root the go command accepts) is served at its root and listed in `/-/catalog`; a
 * repository whose HEAD git cannot read answers its own requests with a 404 saying so (never a
 * 500), is logged once, is left out of the catalog, and is served again once mended.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createRepo } from '../support/git-fixture.ts';
import { goListVersions } from '../support/go-client.ts';
import { type RunningProxy, startProxy } from '../support/proxy-server.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';

const HOST = 'go.localhost';

describe('one bad project degrades only itself', () => {
  let root: string;
  let proxy: RunningProxy;

  before(async () => {
    root = await makeTempDir('bad-repositories');
    for (const [name, tag] of [['grp/ok', 'v1.0.0'], ['grp/broken', 'v1.0.0'], ['grp/v2', 'v2.0.0']]) {
      const repo = await createRepo(root, name);
      await repo.commit({ 'go.mod': `module ${HOST}/${name}\n\ngo 1.19\n`, 'a.go': 'package a\n' }, {
        date: '2024-01-02T03:04:05Z',
      });
      await repo.tag(tag);
    }
    writeFileSync(join(root, 'grp/broken.git/HEAD'), 'garbage\n');
    proxy = await startProxy({
      repos: root,
      moduleHost: HOST,
      defaultVisibility: 'public',
      dataDir: join(root, 'data'),
    });
  });

  after(async () => {
    await proxy?.close();
    if (root !== undefined) await removeDir(root);
  });

  const get = async (path: string) => {
    const response = await fetch(`${proxy.url}${path}`);
    return { status: response.status, body: await response.text() };
  };

  test('a project named …/v2 is served at its root, to the go command and in the catalog', async () => {
    assert.deepEqual(await get(`/${HOST}/grp/v2/@v/list`), { status: 200, body: 'v2.0.0\n' });
    const listed = await goListVersions(`${HOST}/grp/v2`, { proxy: proxy.url });
    assert.deepEqual(listed.versions, ['v2.0.0'], listed.stderr);
    assert.equal((await get(`/-/modules/${HOST}/grp/v2`)).status, 200);
  });

  test('a broken HEAD is a 404 saying so on every endpoint and its page, logged once; the catalog skips it', async (t) => {
    const write = t.mock.method(process.stderr, 'write', () => true);
    const reason =
      'not found: the repository of this module cannot be read: its HEAD names neither a branch nor a commit\n';
    for (const file of ['@v/list', '@latest', '@v/v1.0.0.info', '@v/v1.0.0.mod', '@v/v1.0.0.zip', '@v/main.info']) {
      assert.deepEqual(await get(`/${HOST}/grp/broken/${file}`), { status: 404, body: reason }, file);
    }
    assert.equal((await get(`/-/modules/${HOST}/grp/broken`)).status, 404);
    const catalog = await get('/-/catalog');
    assert.equal(catalog.status, 200);
    assert.deepEqual(JSON.parse(catalog.body), {
      modules: [
        { module: `${HOST}/grp/ok`, version: 'v1.0.0', licenses: [] },
        { module: `${HOST}/grp/v2`, version: 'v2.0.0', licenses: [] },
      ],
    });
    const warnings = write.mock.calls.map((call) => String(call.arguments[0])).filter((line) =>
      line.includes('repository cannot be read')
    );
    assert.equal(warnings.length, 1, warnings.join(''));
    assert.match(warnings[0], /"gitDir":"[^"]*grp\/broken\.git","why":"its HEAD names neither a branch nor a commit"/);
  });

  test('mended, it is served again', async () => {
    writeFileSync(join(root, 'grp/broken.git/HEAD'), 'ref: refs/heads/main\n');
    assert.deepEqual(await get(`/${HOST}/grp/broken/@v/list`), { status: 200, body: 'v1.0.0\n' });
    assert.equal(JSON.parse((await get('/-/catalog')).body).modules.length, 3);
  });
});
