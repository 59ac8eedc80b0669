/**
 * `createHandler` embedded as README "Embedding" shows it (whose examples run as written in
 * test/e2e/readme.test.ts): as the whole `node:http` server, and mounted under `/goproxy` beside an
 * application's own routes (Connect/Express-style `next()`), what reaches `next()` and what does not.
 * The go client downloads through both.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createHandler, type GoProxyHandler } from '../../lib/index.ts';
import { createRepo } from '../support/git-fixture.ts';
import { goModDownload } from '../support/go-client.ts';
import { rawGet } from '../support/http-get.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';

const MODULE = 'go.test/group/app';

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

describe('embedding createHandler', () => {
  let repos: string;
  const handlers: GoProxyHandler[] = [];
  const servers: Server[] = [];

  before(async () => {
    repos = await makeTempDir('embedding');
    const repo = await createRepo(repos, 'group/app');
    await repo.commit({ 'go.mod': `module ${MODULE}\n`, 'app.go': 'package app\n' }, { date: '2024-02-03T04:05:06Z' });
    await repo.tag('v0.3.0');
  });

  after(async () => {
    await Promise.all(servers.map(close));
    await Promise.all(handlers.map((handler) => handler.close()));
    await removeDir(repos);
  });

  test('plain node:http: the handler is the server', async () => {
    const goproxy = createHandler({ repos, moduleHost: 'go.test', logLevel: 'warn' });
    const server = createServer(goproxy);
    handlers.push(goproxy);
    servers.push(server);
    const url = await listen(server);
    const download = await goModDownload(`${MODULE}@v0.3.0`, { proxy: url });
    assert.equal(download.json?.Error, undefined, download.stderr);
    assert.equal((await rawGet(`${url}/elsewhere`)).status, 404, 'without next(), paths that are not ours are 404');
  });

  test('mounted under /goproxy beside other routes', async () => {
    const goproxy = createHandler({ repos, moduleHost: 'go.test', basePath: '/goproxy', logLevel: 'warn' });
    const server = createServer((req, res) => {
      goproxy(req, res, () => {
        res.setHeader('Content-Type', 'text/plain');
        res.end(`the application answers ${req.url}\n`);
      });
    });
    handlers.push(goproxy);
    servers.push(server);
    const url = await listen(server);
    const download = await goModDownload(`${MODULE}@v0.3.0`, { proxy: `${url}/goproxy` });
    assert.equal(download.json?.Error, undefined, download.stderr);
    const app = await rawGet(`${url}/hello`);
    assert.equal(app.body.toString(), 'the application answers /hello\n');
    const unprefixed = await rawGet(`${url}/${MODULE}/@v/list`);
    assert.equal(
      unprefixed.body.toString(),
      `the application answers /${MODULE}/@v/list\n`,
      'module paths outside the prefix are not ours',
    );
    const lookalike = await rawGet(`${url}/goproxyx/${MODULE}/@v/list`);
    assert.match(lookalike.body.toString(), /^the application answers/, '/goproxyx is not below /goproxy');
    assert.equal((await rawGet(`${url}/goproxy/-/health`)).body.toString(), 'ok\n');
    assert.equal((await rawGet(`${url}/goproxy/${MODULE}/@v/list`)).body.toString(), 'v0.3.0\n');
  });

  test('a bad basePath is refused when the handler is made', () => {
    assert.throws(() => createHandler({ repos, basePath: '/goproxy/' }), /config: basePath: must not end with "\/"/);
    assert.throws(() => createHandler({ repos, basePath: '/a/../b' }), /config: basePath: must be plain path elements/);
  });
});
