/**
 * The web pages over plain HTTP: headers every page carries, the same 404 for a hidden project as
 * for a missing one on every page, signing in, `/-/catalog` and its pages, `basePath`, bad page
 * input as a 400, and 20,000 projects answered in small pages without a git process.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startedChildCount } from '../../lib/git/children.ts';
import { CONTENT_SECURITY_POLICY } from '../../lib/http/pages/layout.ts';
import { createRepo } from '../support/git-fixture.ts';
import { HELLO, SECRET_MODULE, SECRET_TOKEN as TOKEN, startPageProxy } from '../support/page-fixtures.ts';
import { type RunningProxy, startProxy } from '../support/proxy-server.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';

const BASIC = { Authorization: `Basic ${Buffer.from(`me:${TOKEN}`).toString('base64')}` };

/** Status, the headers that matter for sameness, and the body. */
async function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: string }> {
  const response = await fetch(url, { headers, redirect: 'manual' });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

describe('web pages over HTTP', () => {
  let scratch: string;
  let proxy: RunningProxy;

  before(async () => {
    scratch = await makeTempDir('pages-http');
    proxy = await startPageProxy(scratch);
  });

  after(async () => {
    await proxy?.close();
    if (scratch !== undefined) await removeDir(scratch);
  });

  test('pages carry a script-free Content-Security-Policy, errors included; the stylesheet is served', async () => {
    for (
      const path of [
        '/',
        `/-/modules/${HELLO}`,
        `/-/modules/${HELLO}/@v/v1.0.0`,
        '/-/modules/go.localhost/none',
        `/-/modules/${HELLO}/@v/v9.9.9`,
      ]
    ) {
      const page = await get(`${proxy.url}${path}`);
      assert.equal(page.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY, path);
      assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8', path);
      assert.doesNotMatch(page.body, /<script|style=/, path);
    }
    const css = await get(`${proxy.url}/-/style.css`);
    assert.equal(css.status, 200);
    assert.equal(css.headers.get('content-type'), 'text/css; charset=utf-8');
    assert.match(css.body, /prefers-color-scheme: dark/);
  });

  test('a hidden project is the same 404 as a missing one on every page, and is left out of the catalog', async () => {
    const anonymous = [`/-/modules/${SECRET_MODULE}`, `/-/modules/${SECRET_MODULE}/@v/v1.0.0`];
    const missing = [`/-/modules/go.localhost/acme/nothing`, `/-/modules/go.localhost/acme/nothing/@v/v1.0.0`];
    for (const [i, path] of anonymous.entries()) {
      const hidden = await get(`${proxy.url}${path}`);
      const absent = await get(`${proxy.url}${missing[i]}`);
      assert.equal(hidden.status, 404);
      assert.equal(
        hidden.body.replaceAll(SECRET_MODULE, 'M'),
        absent.body.replaceAll('go.localhost/acme/nothing', 'M'),
      );
      const names = (headers: Headers) =>
        [...headers.keys()].filter((name) => name !== 'date').map((name) =>
          `${name}: ${name === 'content-length' ? '' : headers.get(name)}`
        );
      assert.deepEqual(names(hidden.headers), names(absent.headers));
      assert.equal((await get(`${proxy.url}${path}`, BASIC)).status, 200, `${path} with the token`);
    }
    assert.doesNotMatch((await get(`${proxy.url}/-/catalog`)).body, /secret/);
    assert.match((await get(`${proxy.url}/-/catalog`, BASIC)).body, /acme\/secret/);
  });

  test('signing in: a 401 Basic challenge until a token counts, then back home', async () => {
    const challenge = await get(`${proxy.url}/?login=1`);
    assert.equal(challenge.status, 401);
    assert.equal(challenge.headers.get('www-authenticate'), 'Basic realm="git-goproxy", charset="UTF-8"');
    const wrong = await get(`${proxy.url}/?login=1`, {
      Authorization: `Basic ${Buffer.from('me:nope').toString('base64')}`,
    });
    assert.equal(wrong.status, 401);
    const signedIn = await get(`${proxy.url}/?login=1`, BASIC);
    assert.equal(signedIn.status, 303);
    assert.equal(signedIn.headers.get('location'), '/');
  });

  test('/-/catalog lists modules and versions a page of projects at a time', async () => {
    const first = JSON.parse((await get(`${proxy.url}/-/catalog?pagesize=1`)).body);
    assert.deepEqual(first.modules, [
      { module: HELLO, version: 'v1.0.0', licenses: [] },
      { module: HELLO, version: 'v1.1.0', licenses: [] },
      { module: `${HELLO}/tools`, version: 'v0.1.0', licenses: [] },
      { module: `${HELLO}/v2`, version: 'v2.0.0', licenses: [] },
    ]);
    const second = JSON.parse((await get(`${proxy.url}/-/catalog?pagesize=1&token=${first.next}`)).body);
    assert.deepEqual(second, {
      modules: [
        { module: 'go.localhost/acme/hostile', version: 'v0.9.0', licenses: [] },
        { module: 'go.localhost/acme/hostile', version: 'v1.0.0', licenses: [] },
      ],
    });
    assert.equal(JSON.parse((await get(`${proxy.url}/-/catalog?format=json`)).body).modules.length, 6);
    for (const query of ['pagesize=0', 'pagesize=101', 'token=%2F', 'format=html']) {
      const bad = await get(`${proxy.url}/-/catalog?${query}`);
      assert.equal(bad.status, 400, query);
      assert.match(bad.body, /^bad request: [^\n]+\n$/, query);
    }
  });

  test('bad page input is a one-line 400; HEAD answers without a body', async () => {
    for (
      const path of [
        '/-/modules/..%2Fetc',
        '/-/modules/go.localhost/acme/hello/@v/',
        '/-/modules/%ff',
        '/?page=0',
        '/?page=x',
      ]
    ) {
      const bad = await get(`${proxy.url}${path}`);
      assert.equal(bad.status, 400, path);
    }
    const head = await fetch(`${proxy.url}/`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
  });
});

describe('web pages under a base path, with 20,000 projects', () => {
  let scratch: string;
  let proxy: RunningProxy;

  before(async () => {
    scratch = await makeTempDir('pages-many');
    const repos = join(scratch, 'repos');
    const repo = await createRepo(scratch, 'elsewhere/shared');
    await repo.commit({ 'go.mod': 'module example.com/shared\n' }, { date: '2024-01-02T03:04:05Z' });
    await repo.tag('v1.0.0');
    const projects = Array.from(
      { length: 20_000 },
      (_, i) => ({ path: `many/p${String(i).padStart(5, '0')}`, repo: repo.gitDir }),
    );
    proxy = await startProxy({
      repos,
      dataDir: join(scratch, 'data'),
      defaultVisibility: 'public',
      basePath: '/goproxy',
      projects,
    });
  });

  after(async () => {
    await proxy?.close();
    if (scratch !== undefined) await removeDir(scratch);
  });

  test('the home page sends 50 projects at a time, links below the base path, and starts no git process', async () => {
    const started = startedChildCount();
    const home = await get(`${proxy.url}/goproxy/`);
    assert.equal(home.status, 200);
    assert.ok(home.body.length < 40_000, `${home.body.length} bytes`);
    assert.match(home.body, /20,000 projects you may read/);
    // No upstream: public modules go on to proxy.golang.org after this server's 404.
    assert.match(home.body, /GOPROXY=http:\/\/127\.0\.0\.1:\d+\/goproxy,https:\/\/proxy\.golang\.org,direct\n/);
    assert.match(home.body, /GONOSUMDB=go\.localhost</);
    assert.equal([...home.body.matchAll(/href="\/goproxy\/-\/modules\/go\.localhost\/many\/p\d{5}"/g)].length, 50);
    assert.match(home.body, /href="\/goproxy\/-\/style\.css"/);
    const last = await get(`${proxy.url}/goproxy/?page=400`);
    assert.match(last.body, /Page 400 of 400/);
    assert.match(last.body, /many\/p19999/);
    const search = await get(`${proxy.url}/goproxy/?q=p1234`);
    assert.match(search.body, /10 of 20,000 projects match/);
    assert.equal(startedChildCount(), started);
    assert.equal((await get(`${proxy.url}/`)).status, 404, 'outside the base path is not ours');
  });
});
