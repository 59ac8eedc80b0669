/**
 * `?go-get=1` pages over HTTP (lib/http/go-get.ts): the go-import `mod` tag for a project and the
 * packages below it, the proxy URL as the client reached it (port, TLS-terminating forwarder), private
 * projects answered like missing ones, and what is not a go-get request.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, test } from 'node:test';
import { hashToken } from '../../lib/access/auth.ts';
import { createRepo } from '../support/git-fixture.ts';
import { type RunningProxy, startProxy } from '../support/proxy-server.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';

const HOST = 'git.example.com';
const SECRET = 'ggp_go_get';
let root: string;
let proxy: RunningProxy;

before(async () => {
  root = await makeTempDir('go-get');
  for (const path of ['group/public', 'group/secret']) {
    const repo = await createRepo(root, path);
    await repo.commit({ 'go.mod': `module ${HOST}/${path}\n` }, { date: '2024-01-01T00:00:00Z' });
  }
  proxy = await startProxy({
    repos: root,
    moduleHost: HOST,
    projects: [
      { path: 'group/public', visibility: 'public' },
      { path: 'group/secret', visibility: 'private' },
    ],
    tokens: [{ name: 'dev', sha256: hashToken(SECRET), grants: ['group/secret'] }],
  });
});

after(async () => {
  await proxy?.close();
  await removeDir(root);
});

/** A request with a chosen Host header (fetch does not allow one). */
function get(
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; type: string | undefined; cacheControl: string | undefined; body: string }> {
  const { port } = new URL(proxy.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers: { host: HOST, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on(
        'end',
        () =>
          resolve({
            status: res.statusCode ?? 0,
            type: res.headers['content-type'],
            cacheControl: res.headers['cache-control'],
            body: Buffer.concat(chunks).toString(),
          }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

const metaOf = (body: string) => /<meta name="go-import" content="([^"]*)">/.exec(body)?.[1];

test('a project path answers the go-import mod tag pointing at this proxy', async () => {
  const page = await get('/group/public?go-get=1');
  assert.equal(page.status, 200);
  assert.equal(page.type, 'text/html; charset=utf-8');
  assert.equal(metaOf(page.body), `${HOST}/group/public mod http://${HOST}`);
});

test('a package path below the project has the project as its root', async () => {
  assert.equal(metaOf((await get('/group/public/sub/pkg?go-get=1')).body), `${HOST}/group/public mod http://${HOST}`);
  assert.equal(metaOf((await get('/group/public/?go-get=1')).body), `${HOST}/group/public mod http://${HOST}`);
});

test('the import path has no port; the proxy URL keeps it', async () => {
  const page = await get('/group/public?go-get=1', { host: `${HOST}:8443` });
  assert.equal(metaOf(page.body), `${HOST}/group/public mod http://${HOST}:8443`);
});

test('a forwarding proxy that terminated TLS is believed about the scheme', async () => {
  const page = await get('/group/public?go-get=1', { 'x-forwarded-proto': 'https' });
  assert.equal(metaOf(page.body), `${HOST}/group/public mod https://${HOST}`);
});

test('a private project: no page without a token, exactly as for a path without a project', async (t) => {
  t.mock.method(process.stderr, 'write', () => true);
  const hidden = await get('/group/secret/pkg?go-get=1');
  const missing = await get('/group/nothing/pkg?go-get=1');
  assert.equal(hidden.status, 404);
  assert.deepEqual(hidden, missing);
  const page = await get('/group/secret/pkg?go-get=1', {
    authorization: `Basic ${Buffer.from(`me:${SECRET}`).toString('base64')}`,
  });
  assert.equal(metaOf(page.body), `${HOST}/group/secret mod http://${HOST}`);
});

test('pages depend on the caller, Host and scheme: no cache keeps them, nor the 404 a hidden project gets', async (t) => {
  t.mock.method(process.stderr, 'write', () => true);
  assert.equal((await get('/group/public?go-get=1')).cacheControl, 'private, no-store');
  assert.equal((await get('/group/public?go-get=1', {}, 'HEAD')).cacheControl, 'private, no-store');
  assert.equal((await get('/group/secret?go-get=1')).cacheControl, 'private, no-store');
});

test('what is not a go-get request for a known project stays a 404', async () => {
  assert.equal((await get('/group/public')).status, 404);
  assert.equal((await get('/group/public?go-get=0')).status, 404);
  assert.equal((await get('/group/public?go-get=1', { host: 'other.example.com' })).status, 404);
  assert.equal((await get('/group/public?go-get=1', { host: 'bad host"' })).status, 404);
  assert.equal((await get('/group/public?go-get=1', {}, 'POST')).status, 405);
});

test('HEAD answers the headers only', async () => {
  const head = await get('/group/public?go-get=1', {}, 'HEAD');
  assert.equal(head.status, 200);
  assert.equal(head.body, '');
});
