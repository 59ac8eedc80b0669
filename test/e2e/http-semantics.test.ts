/**
 * HTTP semantics of module answers and the operations endpoints, on the wire: ETags and 304s,
 * Cache-Control (immutable for canonical versions, short for list/@latest/queries, private for
 * projects that are not public), gzip, Content-Length and Content-Type, and /metrics counting it all.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { createRepo } from '../support/git-fixture.ts';
import { rawGet } from '../support/http-get.ts';
import { type RunningProxy, startProxy } from '../support/proxy-server.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';

const HOST = 'go.test';
const MODULE = `${HOST}/group/app`;
const LOCAL_MODULE = `${HOST}/group/local`;
/** Long enough (> 256 bytes) to be worth gzipping. */
const GO_MOD = `module ${MODULE}\n\ngo 1.19\n\n${
  Array.from({ length: 12 }, (_, i) => `// line ${i} of a long comment that makes this file worth compressing\n`).join(
    '',
  )
}`;

describe('HTTP caching, compression and metrics', () => {
  let root: string;
  let proxy: RunningProxy;
  let url: (path: string) => string;

  before(async () => {
    root = await makeTempDir('http-semantics');
    const app = await createRepo(root, 'group/app');
    await app.commit({ 'go.mod': GO_MOD, 'app.go': 'package app\n' }, { date: '2024-01-02T03:04:05Z' });
    await app.tag('v1.0.0');
    const local = await createRepo(root, 'group/local');
    await local.commit({ 'go.mod': `module ${LOCAL_MODULE}\n`, 'l.go': 'package local\n' }, {
      date: '2024-01-02T03:04:05Z',
    });
    await local.tag('v0.1.0');
    proxy = await startProxy({
      repos: root,
      moduleHost: HOST,
      projects: [{ path: 'group/app', visibility: 'public' }],
    });
    url = (path) => `${proxy.url}${path}`;
  });

  after(async () => {
    await proxy?.close();
    await removeDir(root);
  });

  test('.info: strong ETag, immutable for the canonical version, Content-Length, 304 on If-None-Match', async () => {
    const first = await rawGet(url(`/${MODULE}/@v/v1.0.0.info`));
    assert.equal(first.status, 200);
    assert.equal(first.headers['content-type'], 'application/json');
    assert.equal(first.headers['cache-control'], 'public, max-age=31536000, s-maxage=300, immutable');
    assert.equal(Number(first.headers['content-length']), first.body.length);
    assert.deepEqual(JSON.parse(first.body.toString()).Version, 'v1.0.0');
    const etag = first.headers.etag!;
    assert.match(etag, /^"[A-Za-z0-9_-]+"$/);
    const again = await rawGet(url(`/${MODULE}/@v/v1.0.0.info`), { 'If-None-Match': `"other", ${etag}` });
    assert.equal(again.status, 304);
    assert.equal(again.body.length, 0);
    assert.equal(again.headers.etag, etag);
    assert.equal(again.headers['cache-control'], first.headers['cache-control']);
    const weakForm = await rawGet(url(`/${MODULE}/@v/v1.0.0.info`), { 'If-None-Match': `W/${etag}` });
    assert.equal(weakForm.status, 304, 'If-None-Match compares weakly');
    const stale = await rawGet(url(`/${MODULE}/@v/v1.0.0.info`), { 'If-None-Match': '"something-else"' });
    assert.equal(stale.status, 200);
  });

  test('queries, list and @latest are cacheable for a short time only, and revalidate', async () => {
    const query = await rawGet(url(`/${MODULE}/@v/main.info`));
    assert.equal(query.status, 200);
    assert.equal(query.headers['cache-control'], 'public, max-age=60');
    for (const path of [`/${MODULE}/@v/list`, `/${MODULE}/@latest`]) {
      const answer = await rawGet(url(path));
      assert.equal(answer.status, 200, path);
      assert.equal(answer.headers['cache-control'], 'public, max-age=60', path);
      const revalidated = await rawGet(url(path), { 'If-None-Match': answer.headers.etag! });
      assert.equal(revalidated.status, 304, path);
    }
    const list = await rawGet(url(`/${MODULE}/@v/list`));
    assert.equal(list.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(list.body.toString(), 'v1.0.0\n');
  });

  test('.mod is gzipped when accepted, with its own ETag; identity otherwise; HEAD has the length only', async () => {
    const path = url(`/${MODULE}/@v/v1.0.0.mod`);
    const plain = await rawGet(path);
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(plain.headers.vary, 'Accept-Encoding');
    assert.equal(plain.body.toString(), GO_MOD);
    const gzipped = await rawGet(path, { 'Accept-Encoding': 'br;q=1, gzip;q=0.5' });
    assert.equal(gzipped.headers['content-encoding'], 'gzip');
    assert.equal(Number(gzipped.headers['content-length']), gzipped.body.length);
    assert.ok(gzipped.body.length < plain.body.length);
    assert.equal(gunzipSync(gzipped.body).toString(), GO_MOD);
    assert.notEqual(gzipped.headers.etag, plain.headers.etag);
    const refused = await rawGet(path, { 'Accept-Encoding': 'gzip;q=0, *' });
    assert.equal(refused.headers['content-encoding'], undefined, 'gzip;q=0 wins over *');
    const revalidated = await rawGet(path, { 'Accept-Encoding': 'gzip', 'If-None-Match': gzipped.headers.etag! });
    assert.equal(revalidated.status, 304);
    const head = await rawGet(path, {}, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(Number(head.headers['content-length']), plain.body.length);
    assert.equal(head.body.length, 0);
  });

  test('short bodies are not gzipped', async () => {
    const info = await rawGet(url(`/${MODULE}/@v/v1.0.0.info`), { 'Accept-Encoding': 'gzip' });
    assert.equal(info.headers['content-encoding'], undefined);
  });

  test('.zip: weak ETag, immutable, 304 without running git archive', async () => {
    const zip = await rawGet(url(`/${MODULE}/@v/v1.0.0.zip`));
    assert.equal(zip.status, 200);
    assert.equal(zip.headers['content-type'], 'application/zip');
    assert.equal(zip.headers['cache-control'], 'public, max-age=31536000, s-maxage=300, immutable');
    assert.match(zip.headers.etag!, /^W\/"[A-Za-z0-9_-]+"$/);
    assert.equal(zip.body.subarray(0, 4).toString('latin1'), 'PK\x03\x04');
    const before = await metricValue(url('/metrics'), 'git_goproxy_git_duration_seconds_count{command="archive"}');
    const revalidated = await rawGet(url(`/${MODULE}/@v/v1.0.0.zip`), { 'If-None-Match': zip.headers.etag! });
    assert.equal(revalidated.status, 304);
    assert.equal(revalidated.body.length, 0);
    const afterwards = await metricValue(url('/metrics'), 'git_goproxy_git_duration_seconds_count{command="archive"}');
    assert.equal(afterwards, before, 'no git archive for a 304');
  });

  test('a repeat .zip of a commit runs git archive but lists no files again (the layout is kept)', async () => {
    const count = (command: string) =>
      metricValue(url('/metrics'), `git_goproxy_git_duration_seconds_count{command="${command}"}`);
    const first = await rawGet(url(`/${LOCAL_MODULE}/@v/v0.1.0.zip`));
    assert.equal(first.status, 200);
    const [listings, archives] = [await count('ls-tree'), await count('archive')];
    const repeat = await rawGet(url(`/${LOCAL_MODULE}/@v/v0.1.0.zip`));
    assert.equal(repeat.status, 200);
    assert.deepEqual(repeat.body, first.body);
    assert.equal(await count('ls-tree'), listings);
    assert.equal(await count('archive'), archives + 1);
  });

  test('a project that is not public is private to caches', async () => {
    const info = await rawGet(url(`/${LOCAL_MODULE}/@v/v0.1.0.info`));
    assert.equal(info.status, 200);
    assert.equal(info.headers['cache-control'], 'private, max-age=31536000, immutable');
    const list = await rawGet(url(`/${LOCAL_MODULE}/@v/list`));
    assert.equal(list.headers['cache-control'], 'private, max-age=60');
  });

  test('every answer, failures and pages included, is for this origin only and never sniffed', async () => {
    const paths = [
      `/${MODULE}/@v/v1.0.0.info`,
      `/${MODULE}/@v/v1.0.0.zip`,
      `/${MODULE}/@v/v9.9.9.zip`,
      `/${MODULE}/@v/list`,
      '/nothing/here',
      `/${MODULE}?go-get=1`,
      '/',
      `/-/modules/${MODULE}`,
      '/-/catalog',
      '/-/health',
    ];
    for (const path of paths) {
      const answer = await rawGet(url(path));
      assert.equal(answer.headers['cross-origin-resource-policy'], 'same-origin', path);
      assert.equal(answer.headers['x-content-type-options'], 'nosniff', path);
    }
  });

  test('a failure is never cached and carries no validator of the answer it was heading for', async () => {
    for (
      const path of [`/${MODULE}/@v/v9.9.9.zip`, `/${MODULE}/@v/v9.9.9.info`, '/nothing/here', `/${MODULE}/@v/bad..zip`]
    ) {
      const answer = await rawGet(url(path));
      assert.ok(answer.status >= 400, path);
      assert.equal(answer.headers['cache-control'], 'private, no-store', path);
      assert.equal(answer.headers.etag, undefined, path);
    }
  });

  test("a protocol request a browser sends with its own credentials for another origin's page is refused before it is read", async () => {
    const basic = `Basic ${Buffer.from('me:ggp_any').toString('base64')}`;
    const zip = `/${MODULE}/@v/v1.0.0.zip`;
    for (const site of ['same-site', 'cross-site', 'Same-Site']) {
      for (const credentials of [{ authorization: basic }, { cookie: 'session=1' }] as Record<string, string>[]) {
        const refused = await rawGet(url(zip), { 'Sec-Fetch-Site': site, ...credentials });
        assert.equal(refused.status, 403, `${site} ${JSON.stringify(credentials)}`);
        assert.match(refused.body.toString(), /^forbidden: a browser sent its credentials/);
      }
    }
    for (
      const headers of [
        { 'Sec-Fetch-Site': 'same-origin', authorization: basic },
        { 'Sec-Fetch-Site': 'none', authorization: basic },
        { 'Sec-Fetch-Site': 'cross-site' },
        { 'Sec-Fetch-Site': 'cross-site', authorization: 'Bearer ggp_any' },
        { authorization: basic },
      ] as Record<string, string>[]
    ) {
      assert.equal((await rawGet(url(zip), headers)).status, 200, JSON.stringify(headers));
    }
    const page = await rawGet(url(`/-/modules/${MODULE}`), { 'Sec-Fetch-Site': 'cross-site', authorization: basic });
    assert.equal(page.status, 200, 'a link from another site still opens a page');
  });

  test('/metrics counts requests, bytes, 304s, durations and git processes', async () => {
    const answer = await rawGet(url(`/${MODULE}/@v/v1.0.0.info`));
    await rawGet(url(`/${MODULE}/@v/v1.0.0.info`), { 'If-None-Match': answer.headers.etag! });
    await rawGet(url('/nothing/here'));
    const metrics = await rawGet(url('/metrics'));
    assert.equal(metrics.status, 200);
    assert.equal(metrics.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    const text = metrics.body.toString();
    for (
      const line of [
        '# TYPE git_goproxy_requests_total counter',
        '# TYPE git_goproxy_request_duration_seconds histogram',
        '# TYPE git_goproxy_git_running gauge',
        '# TYPE git_goproxy_git_queued gauge',
        '# TYPE git_goproxy_git_processes gauge',
        'git_goproxy_git_queued 0',
      ]
    ) {
      assert.ok(text.includes(`${line}\n`), `${line} in\n${text}`);
    }
    assert.ok(parseMetric(text, 'git_goproxy_requests_total{endpoint="info",status="200"}')! >= 2);
    assert.ok(parseMetric(text, 'git_goproxy_requests_total{endpoint="info",status="304"}')! >= 2);
    assert.ok(parseMetric(text, 'git_goproxy_requests_total{endpoint="other",status="404"}')! >= 1);
    assert.ok(parseMetric(text, 'git_goproxy_cache_hits_total{endpoint="zip"}')! >= 1);
    assert.ok(parseMetric(text, 'git_goproxy_response_bytes_total{endpoint="zip"}')! > 100);
    const zips = parseMetric(text, 'git_goproxy_request_duration_seconds_count{endpoint="zip"}')!;
    assert.equal(parseMetric(text, 'git_goproxy_request_duration_seconds_bucket{endpoint="zip",le="+Inf"}'), zips);
    assert.ok(parseMetric(text, 'git_goproxy_git_duration_seconds_count{command="ls-tree"}')! >= 1);
  });

  test('/sumdb/<name>/supported answers 404 at once, without authentication, even where projects are private', async () => {
    const privateProxy = await startProxy({
      repos: root,
      dataDir: join(root, '.data-sumdb'),
      moduleHost: HOST,
      defaultVisibility: 'private',
    });
    try {
      const started = performance.now();
      const response = await fetch(`${privateProxy.url}/sumdb/sum.golang.org/supported`, {
        headers: { Authorization: 'Bearer not-a-token' },
      });
      assert.equal(response.status, 404);
      assert.match(await response.text(), /checksum database/);
      assert.ok(performance.now() - started < 1000);
    } finally {
      await privateProxy.close();
    }
  });
});

function parseMetric(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function metricValue(metricsUrl: string, series: string): Promise<number> {
  const { body } = await rawGet(metricsUrl);
  return parseMetric(body.toString(), series) ?? 0;
}
