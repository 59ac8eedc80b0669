/**
 * One GOPROXY for everything: modules no local project owns come from an upstream proxy, the
 * checksum database through the proxy, and private paths never leave. Every part is real: the
 * upstream is a file-layout GOPROXY written by `go mod download` (from a second instance of this
 * server, then stopped) and served by a static server that records each request; the checksum
 * database is golang.org/x/mod's own server with a test key; the client is the go command.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createRepo } from '../support/git-fixture.ts';
import { goModDownload } from '../support/go-client.ts';
import { rawGet } from '../support/http-get.ts';
import { type RunningProxy, startProxy } from '../support/proxy-server.ts';
import type { ProxyOptions } from '../../lib/index.ts';
import { startStaticProxy, type StaticProxy } from '../support/static-proxy.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';
import { startSumdb, type Sumdb, upstreamToolsMissing } from '../support/upstream-tools.ts';

const DATE = '2024-03-04T05:06:07Z';
/** Public modules, as the upstream serves them. */
const PUBLIC = ['github.example/acme/lib@v1.0.0', 'github.example/acme/lib@v1.1.0', 'github.example/acme/util@v0.1.0'];
/** A module the upstream has too, but whose path the proxy's `private` globs name. */
const CORP = 'corp.example.com/secret@v1.0.0';
/** A public version no test downloads with the go command. */
const SPARE = 'github.example/acme/util@v0.2.0';
const TOKEN = 'glpat-never-forwarded-0123456789';

describe('upstream proxies and the checksum database through the proxy', { skip: upstreamToolsMissing() }, () => {
  let root: string;
  let upstream: StaticProxy;
  let sumdb: Sumdb;
  let proxy: RunningProxy;
  /** What the go command recorded for each public module when fetching it from the upstream's source. */
  const reference = new Map<string, { sum: string; goModSum: string }>();

  before(async () => {
    root = await makeTempDir('upstream');
    await makeUpstream(root, reference);
    upstream = await startStaticProxy(join(root, 'gocache/mod/cache/download'));
    const goSum = [...reference].map(([target, { sum, goModSum }]) => {
      const [module, version] = target.split('@');
      return `${module} ${version} ${sum}\n${module} ${version}/go.mod ${goModSum}\n`;
    });
    await writeFile(join(root, 'go.sum'), goSum.join(''));
    sumdb = await startSumdb('sum.golang.org', join(root, 'go.sum'));
    const local = await createRepo(join(root, 'repos'), 'acme/hello');
    await local.commit({ 'go.mod': 'module go.localhost/acme/hello\n', 'hello.go': 'package hello\n' }, { date: DATE });
    await local.tag('v1.0.0');
    const vanity = await createRepo(join(root, 'repos'), 'tools/lint');
    await vanity.commit({ 'go.mod': 'module vanity.example.org/tools/lint\n', 'lint.go': 'package lint\n' }, {
      date: DATE,
    });
    await vanity.tag('v1.0.0');
    proxy = await startProxy(proxyOptions());
  });

  const proxyOptions = (): ProxyOptions => ({
    repos: join(root, 'repos'),
    dataDir: join(root, 'data'),
    defaultVisibility: 'public',
    projects: [{ path: 'tools/lint', modulePath: 'vanity.example.org/tools/lint' }],
    upstream: [upstream.url],
    private: 'corp.example.com,*.internal',
    sumdbs: { 'sum.golang.org': sumdb.url },
    upstreamListSeconds: 1,
  });

  after(async () => {
    await proxy?.close();
    await upstream?.close();
    await sumdb?.close();
    await removeDir(root);
  });

  /** The go command through the proxy alone: GOSUMDB with the test key and no URL, so the database is reached through the proxy or not at all. */
  const throughProxy = () => ({
    mode: { proxy: proxy.url },
    options: { env: { GOSUMDB: sumdb.key, GONOSUMDB: 'go.localhost,vanity.example.org,corp.example.com' } },
  });

  test('the go command downloads public modules through the proxy, with the go.sum lines it gets from the upstream, verified by the checksum database through the proxy', async () => {
    const { mode, options } = throughProxy();
    for (const target of PUBLIC) {
      const run = await goModDownload(target, mode, options);
      assert.equal(run.exitCode, 0, run.stderr);
      assert.deepEqual({ sum: run.json?.Sum, goModSum: run.json?.GoModSum }, reference.get(target), target);
    }
    const local = await goModDownload('go.localhost/acme/hello@v1.0.0', mode, options);
    assert.equal(local.exitCode, 0, local.stderr);
    assert.ok(
      sumdb.requests.some((path) => path === '/lookup/github.example/acme/lib@v1.0.0'),
      sumdb.requests.join('\n'),
    );
    assert.equal((await rawGet(`${proxy.url}/sumdb/sum.golang.org/supported`)).status, 200);
    assert.equal((await rawGet(`${proxy.url}/sumdb/sum.example.org/supported`)).status, 404);
  });

  test('immutable files are fetched once: a second client is answered from the cache, concurrent first downloads share one upstream request', async () => {
    const zip = '/github.example/acme/util/@v/v0.2.0.zip';
    const before = upstream.requests.filter((r) => r.url === zip).length;
    const answers = await Promise.all(Array.from({ length: 5 }, () => rawGet(`${proxy.url}${zip}`)));
    for (const answer of answers) assert.equal(answer.status, 200);
    assert.equal(new Set(answers.map((a) => a.body.toString('base64'))).size, 1);
    assert.ok(upstream.requests.filter((r) => r.url === zip).length - before <= 1);
    const again = await rawGet(`${proxy.url}${zip}`, { Range: 'bytes=0-3' });
    assert.equal(again.status, 206);
    assert.equal(again.body.toString('latin1'), 'PK\x03\x04');
    assert.equal(upstream.requests.filter((r) => r.url === zip).length - before, answers.length > 0 ? 1 : 0);
    const mod = await rawGet(`${proxy.url}/github.example/acme/util/@v/v0.2.0.mod`);
    assert.match(String(mod.headers['cache-control']), /^public, max-age=31536000, s-maxage=300, immutable$/);
    const list = await rawGet(`${proxy.url}/github.example/acme/lib/@v/list`);
    assert.equal(list.body.toString(), 'v1.0.0\nv1.1.0\n');
    assert.equal(list.headers['cache-control'], 'public, max-age=60');
    // A file-layout upstream has no @latest and no queries: its 404 is passed on, as the go command expects.
    for (const path of ['/github.example/acme/lib/@latest', '/github.example/acme/lib/@v/master.info']) {
      assert.equal((await rawGet(`${proxy.url}${path}`)).status, 404, path);
    }
  });

  test('the web pages list the modules kept from the upstream, apart from the projects, and so does the next process on the same data', async () => {
    const home = (await rawGet(`${proxy.url}/`)).body.toString();
    assert.match(
      home,
      /2 modules that no project here owns are kept from the upstream proxies: <a href="\/-\/upstream">/,
    );
    // The module and version pages are the local projects': an upstream module has none, and asks nothing upstream for one.
    const asked = upstream.requests.length;
    for (
      const page of [
        '/-/modules/github.example/acme/lib',
        '/-/modules/github.example/acme/lib/@v/v1.0.0',
        '/-/files/github.example/acme/lib/@v/v1.0.0/lib.go',
      ]
    ) {
      assert.equal((await rawGet(`${proxy.url}${page}`)).status, 404, page);
    }
    assert.equal(upstream.requests.length, asked);
    // A second process on the same data directory (a restart, or a --workers sibling) rebuilds the list from it.
    const again = await startProxy(proxyOptions());
    try {
      for (const server of [proxy, again]) {
        const page = await rawGet(`${server.url}/-/upstream`);
        assert.equal(page.status, 200);
        const text = page.body.toString();
        const listed = [...text.matchAll(/<td class="path"><code>([^<]+)<\/code>/g)].map((match) => match[1]);
        assert.deepEqual(listed, ['github.example/acme/lib', 'github.example/acme/util']);
        assert.match(
          text,
          /<code>v1\.1\.0<\/code> <a href="\/github\.example\/acme\/lib\/@v\/v1\.1\.0\.info">\.info<\/a>/,
        );
        assert.match(
          text,
          /<code>v0\.2\.0<\/code> <a[^>]+>\.info<\/a> · <a[^>]+>\.mod<\/a> · <a href="\/github\.example\/acme\/util\/@v\/v0\.2\.0\.zip">/,
        );
        assert.ok(!text.includes('go.localhost'));
      }
    } finally {
      await again.close();
    }
  });

  test('private paths and credentials never reach the upstream or the checksum database', async () => {
    const seen = upstream.requests.length;
    const credentials = {
      Authorization: `Bearer ${TOKEN}`,
      'Private-Token': TOKEN,
      'Job-Token': TOKEN,
      Cookie: `session=${TOKEN}`,
    };
    const paths = [
      '/go.localhost/acme/hello/@v/list',
      '/go.localhost/acme/hello/@v/v1.0.0.zip',
      '/go.localhost/acme/missing/@v/list',
      '/go.localhost/@v/list',
      '/vanity.example.org/tools/lint/@v/v1.0.0.info',
      '/vanity.example.org/tools/@v/list',
      '/vanity.example.org/@latest',
      '/corp.example.com/secret/@v/list',
      '/corp.example.com/secret/@v/v1.0.0.info',
      '/git.corp.internal/x/@v/list',
    ];
    const statuses = [];
    for (const path of paths) statuses.push((await rawGet(`${proxy.url}${path}`, credentials)).status);
    assert.deepEqual(statuses, [200, 200, 404, 404, 200, 404, 404, 404, 404, 404]);
    const lookups = [
      '/sumdb/sum.golang.org/lookup/go.localhost/acme/hello@v1.0.0',
      '/sumdb/sum.golang.org/lookup/corp.example.com/secret@v1.0.0',
      '/sumdb/sum.golang.org/lookup/vanity.example.org/tools/lint@v1.0.0',
    ];
    for (const path of lookups) {
      const answer = await rawGet(`${proxy.url}${path}`, credentials);
      assert.equal(answer.status, 403, path);
      assert.match(answer.body.toString(), /is private here/);
    }
    assert.deepEqual(upstream.requests.slice(seen), []);
    assert.equal((await rawGet(`${proxy.url}/github.example/acme/lib/@v/list`, credentials)).status, 200);
    const everything = JSON.stringify([upstream.requests, sumdb.requests]);
    for (const secret of [TOKEN, 'go.localhost', 'corp.example.com', 'vanity.example.org', '.internal']) {
      assert.ok(!everything.includes(secret), `${secret} reached an upstream`);
    }
    for (const { headers } of upstream.requests) {
      assert.deepEqual(Object.keys(headers).sort(), ['accept-encoding', 'connection', 'host', 'user-agent']);
    }
    const metrics = (await rawGet(`${proxy.url}/metrics`)).body.toString();
    assert.match(metrics, /git_goproxy_upstream_refusals_total\{reason="module-host"\} [1-9]/);
    assert.match(metrics, /git_goproxy_upstream_refusals_total\{reason="local-project"\} [1-9]/);
    assert.match(metrics, /git_goproxy_upstream_refusals_total\{reason="private-pattern"\} [1-9]/);
  });

  test('a pinned version whose upstream answer changes is refused', async () => {
    const mod = '/github.example/acme/util/@v/v0.1.0.mod';
    const original = await rawGet(`${proxy.url}${mod}`);
    assert.equal(original.status, 200);
    await emptyCache(root);
    const file = join(root, 'gocache/mod/cache/download', mod);
    await writeFile(file, `${original.body.toString()}// changed upstream\n`);
    try {
      const changed = await rawGet(`${proxy.url}${mod}`);
      assert.equal(changed.status, 500);
      assert.match(changed.body.toString(), /other content than this proxy served before/);
    } finally {
      await writeFile(file, original.body);
    }
    assert.equal((await rawGet(`${proxy.url}${mod}`)).status, 200);
  });

  test('an upstream that cuts a zip mid-way: the client gets an error, nothing is cached, the next download is whole', async () => {
    const zip = '/github.example/acme/lib/@v/v1.1.0.zip';
    await emptyCache(root); // as if the cache had let it go
    upstream.cut = { suffix: 'v1.1.0.zip', bytes: 300 };
    // A 502 when the cut comes before the answer has started, else the connection is cut too.
    const cut = await rawGet(`${proxy.url}${zip}`).catch((error: Error) => error);
    assert.ok(cut instanceof Error || cut.status === 502, `a cut zip was answered ${JSON.stringify(cut)}`);
    upstream.cut = undefined;
    const before = upstream.requests.filter((r) => r.url === zip).length;
    const { mode, options } = throughProxy();
    const run = await goModDownload('github.example/acme/lib@v1.1.0', mode, options);
    assert.equal(run.exitCode, 0, run.stderr);
    assert.equal(run.json?.Sum, reference.get('github.example/acme/lib@v1.1.0')?.sum);
    assert.equal(upstream.requests.filter((r) => r.url === zip).length, before + 1);
  });

  test('with upstreamAccess "authenticated", upstream modules are served to callers with a valid token only', async () => {
    const secret = 'upstream-reader-secret';
    const guarded = await startProxy({
      repos: join(root, 'repos'),
      dataDir: join(root, 'data-guarded'),
      upstream: [upstream.url],
      upstreamAccess: 'authenticated',
      tokens: [{ name: 'ci', sha256: createHash('sha256').update(secret).digest('hex'), grants: ['nothing/*'] }],
    });
    try {
      const anonymous = await rawGet(`${guarded.url}/github.example/acme/lib/@v/list`);
      assert.equal(anonymous.status, 404);
      assert.match(anonymous.body.toString(), /served to callers with a token only/);
      const withToken = await rawGet(`${guarded.url}/github.example/acme/lib/@v/list`, {
        Authorization: `Bearer ${secret}`,
      });
      assert.equal(withToken.status, 200);
      assert.equal(withToken.headers['cache-control'], 'private, max-age=60');
      // The pages: nothing of the upstream modules without a token, their list with one.
      assert.equal((await rawGet(`${guarded.url}/-/upstream`)).status, 404);
      assert.doesNotMatch((await rawGet(`${guarded.url}/`)).body.toString(), /upstream proxies:/);
      const page = await rawGet(`${guarded.url}/-/upstream`, { Authorization: `Bearer ${secret}` });
      assert.equal(page.status, 200);
      assert.match(page.body.toString(), /0 modules kept/);
    } finally {
      await guarded.close();
    }
  });

  test('the home page says GOPROXY is this server alone, and which paths the checksum database must not be asked about', async () => {
    const home = (await rawGet(`${proxy.url}/`)).body.toString();
    assert.match(home, new RegExp(`GOPROXY=${proxy.url.replace(/\./g, '\\.')}\\n`));
    assert.match(home, /GONOSUMDB=go\.localhost,vanity\.example\.org,corp\.example\.com,\*\.internal</);
  });

  test('the upstream stopped: cached versions are still served, a list is served stale, what was never fetched fails', async () => {
    await upstream.close();
    const { mode, options } = throughProxy();
    // Cached by the download after the cut, in a fresh module cache of the go command.
    const run = await goModDownload('github.example/acme/lib@v1.1.0', mode, options);
    assert.equal(run.exitCode, 0, run.stdout);
    // The list was asked before; in the next period the upstream is asked again, fails, and the old answer stands.
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 10));
    const list = await rawGet(`${proxy.url}/github.example/acme/lib/@v/list`);
    assert.equal(list.status, 200);
    assert.equal(list.body.toString(), 'v1.0.0\nv1.1.0\n');
    assert.equal(list.headers.warning, '110 - "Response is Stale"');
    const never = await rawGet(`${proxy.url}/github.example/acme/never-asked/@v/list`);
    assert.equal(never.status, 502);
    assert.match(never.body.toString(), /upstream failed/);
    const metrics = (await rawGet(`${proxy.url}/metrics`)).body.toString();
    assert.match(metrics, /git_goproxy_upstream_stale_answers_total [1-9]/);
  });
});

/** Deletes the files of the proxy's upstream cache, as its bound would. */
async function emptyCache(root: string): Promise<void> {
  const dir = join(root, 'data/upstream');
  await Promise.all((await readdir(dir)).map((name) => rm(join(dir, name), { force: true })));
}

/**
 * The upstream's files: public repositories served by a second instance of this server (module host
 * `github.example`, and `corp.example.com/secret` by a vanity path), downloaded by the go command into
 * `<root>/gocache/mod/cache/download`, which is then a file-layout GOPROXY. Records each public
 * version's go.sum lines in `reference`.
 */
async function makeUpstream(root: string, reference: Map<string, { sum: string; goModSum: string }>): Promise<void> {
  const repos = join(root, 'public-repos');
  const lib = await createRepo(repos, 'acme/lib');
  await lib.commit({ 'go.mod': 'module github.example/acme/lib\n', 'lib.go': 'package lib\n' }, { date: DATE });
  await lib.tag('v1.0.0');
  await lib.commit({ 'lib.go': 'package lib\n\nconst Version = 2\n' }, { date: '2024-03-05T05:06:07Z' });
  await lib.tag('v1.1.0');
  const util = await createRepo(repos, 'acme/util');
  await util.commit({ 'go.mod': 'module github.example/acme/util\n', 'util.go': 'package util\n' }, { date: DATE });
  await util.tag('v0.1.0');
  await util.commit({ 'util.go': 'package util\n\nconst Two = 2\n' }, { date: '2024-03-05T05:06:07Z' });
  await util.tag('v0.2.0');
  const secret = await createRepo(repos, 'corp/secret');
  await secret.commit({ 'go.mod': 'module corp.example.com/secret\n', 's.go': 'package s\n' }, { date: DATE });
  await secret.tag('v1.0.0');
  const source = await startProxy({
    repos,
    dataDir: join(root, 'public-data'),
    moduleHost: 'github.example',
    defaultVisibility: 'public',
    projects: [{ path: 'corp/secret', modulePath: 'corp.example.com/secret' }],
  });
  try {
    for (const target of [...PUBLIC, SPARE, CORP]) {
      const run = await goModDownload(target, { proxy: source.url }, { cacheDir: join(root, 'gocache') });
      assert.equal(run.exitCode, 0, run.stderr);
      if (target !== CORP) reference.set(target, { sum: run.json!.Sum!, goModSum: run.json!.GoModSum! });
    }
  } finally {
    await source.close();
  }
  // Only what a file-layout proxy serves: the go command's lock files and extracted trees are not part of it.
  const download = join(root, 'gocache/mod/cache/download');
  assert.ok((await readdir(download)).includes('github.example'));
  assert.match(await readFile(join(download, 'github.example/acme/lib/@v/list'), 'utf8'), /v1\.0\.0\nv1\.1\.0/);
}
