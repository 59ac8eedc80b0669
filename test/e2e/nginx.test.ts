/**
 * The reverse-proxy story with a real reverse proxy: nginx on loopback terminates TLS (a throw-away
 * CA made by openssl, trusted by the go client through SSL_CERT_FILE) and caches what the server
 * marks cacheable. The go client downloads a module through `https://127.0.0.1:PORT` twice, with
 * empty module caches; the second time nginx answers from its cache and the server's access log
 * shows no second request for the zip. Skipped where nginx is not installed.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { request } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type CliServer, startCliServer } from '../support/cli-server.ts';
import { createRepo } from '../support/git-fixture.ts';
import { goModDownload } from '../support/go-client.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';
import { makeTestCertificates } from '../support/tls.ts';
import { freeLoopbackPort, NGINX, nginxConfigFile } from '../support/git-remotes.ts';

import { within } from '../support/wait.ts';

const MODULE = 'go.test/group/app';
const LOCAL_MODULE = 'go.test/group/local';

/** The server's config as README "Production" has it: nginx on this machine declared a trusted proxy. */
const configText = (visibility: 'public' | 'private') =>
  JSON.stringify({
    moduleHost: 'go.test',
    trustedProxies: ['127.0.0.1'],
    projects: [{ path: 'group/app', visibility }],
  });

/** GET over HTTPS trusting only `ca`; the body is read and dropped. */
function httpsGet(url: string, ca: string): Promise<{ status: number; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The configuration README "Production" shows, with every path inside `dir`. */
function nginxConfig(dir: string, port: number, upstream: string): string {
  return nginxConfigFile(
    dir,
    `
  access_log off;
  proxy_cache_path ${dir}/cache levels=1:2 keys_zone=goproxy:10m max_size=1g inactive=30d use_temp_path=off;
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${dir}/server.pem;
    ssl_certificate_key ${dir}/server.key;
    location / {
      proxy_pass ${upstream};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_cache goproxy;
      proxy_cache_revalidate on;
      proxy_cache_lock on;
      add_header X-Cache-Status $upstream_cache_status always;
    }
  }`,
  );
}

describe('behind nginx with TLS and caching', {
  skip: NGINX === undefined ? 'nginx is not installed (apt-get install nginx): reverse-proxy test skipped' : false,
}, () => {
  let dir: string;
  let server: CliServer;
  let nginx: ChildProcess;
  let nginxExit: Promise<void>;
  let proxyUrl: string;
  let caFile: string;
  let config: string;

  before(async () => {
    dir = await makeTempDir('nginx');
    const repos = join(dir, 'repos');
    const repo = await createRepo(repos, 'group/app');
    await repo.commit({ 'go.mod': `module ${MODULE}\n\ngo 1.19\n`, 'app.go': 'package app\n' }, {
      date: '2024-05-06T07:08:09Z',
    });
    await repo.tag('v1.0.0');
    const local = await createRepo(repos, 'group/local');
    await local.commit({ 'go.mod': `module ${LOCAL_MODULE}\n\ngo 1.19\n`, 'local.go': 'package local\n' }, {
      date: '2024-05-06T07:08:09Z',
    });
    await local.tag('v1.0.0');
    config = join(dir, 'config.json');
    await writeFile(config, configText('public'));
    server = await startCliServer(['--repos', repos, '--config', config]);
    const certificates = await makeTestCertificates(dir);
    caFile = certificates.caFile;
    await mkdir(join(dir, 'tmp'));
    const port = await freeLoopbackPort();
    await writeFile(join(dir, 'nginx.conf'), nginxConfig(dir, port, server.url));
    nginx = spawn(NGINX!, ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    nginxExit = new Promise((resolve) => nginx.once('exit', () => resolve()));
    proxyUrl = `https://127.0.0.1:${port}`;
    await waitForHealth(proxyUrl);
  });

  after(async () => {
    if (nginx !== undefined && nginx.exitCode === null) {
      nginx.kill('SIGTERM');
      await nginxExit;
    }
    await server?.stop();
    await removeDir(dir);
  });

  /** Polls `/-/health` through nginx (nginx needs a moment to bind). */
  async function waitForHealth(base: string): Promise<void> {
    const ca = await readFile(caFile, 'utf8');
    const started = Date.now();
    for (;;) {
      const answer = await httpsGet(`${base}/-/health`, ca).catch((error: Error) => ({ status: 0, error }));
      if (answer.status === 200) return;
      if (Date.now() - started > 10_000) throw new Error(`nginx did not answer /-/health: ${JSON.stringify(answer)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  const zipRequests = () =>
    server.logLines().filter((line) => line.msg === 'request' && String(line.path).endsWith('/@v/v1.0.0.zip'));

  test('the go client fetches over TLS; the second fetch of the zip comes from nginx cache', async () => {
    const env = { SSL_CERT_FILE: caFile };
    const first = await goModDownload(`${MODULE}@v1.0.0`, { proxy: proxyUrl }, { env });
    assert.equal(first.json?.Error, undefined, first.stderr);
    assert.match(first.json?.Sum ?? '', /^h1:/);
    assert.equal(zipRequests().length, 1, JSON.stringify(server.logLines()));
    const second = await goModDownload(`${MODULE}@v1.0.0`, { proxy: proxyUrl }, { env });
    assert.equal(second.json?.Error, undefined, second.stderr);
    assert.equal(second.json?.Sum, first.json?.Sum);
    assert.equal(zipRequests().length, 1, 'the second zip never reached the server');
    assert.equal(zipRequests()[0].client, '127.0.0.1');
  });

  test('answers that move (list) are cached only briefly; immutable ones are cache hits', async () => {
    const ca = await readFile(caFile, 'utf8');
    const list = await httpsGet(`${proxyUrl}/${MODULE}/@v/list`, ca);
    assert.equal(list.status, 200);
    assert.equal(list.headers['cache-control'], 'public, max-age=60');
    const zip = await httpsGet(`${proxyUrl}/${MODULE}/@v/v1.0.0.zip`, ca);
    assert.equal(zip.headers['x-cache-status'], 'HIT');
    assert.equal(zip.headers['cache-control'], 'public, max-age=31536000, s-maxage=300, immutable');
  });

  test('a local project reads through the declared proxy from this machine, and its answers are never shared', async () => {
    const ca = await readFile(caFile, 'utf8');
    const list = await httpsGet(`${proxyUrl}/${LOCAL_MODULE}/@v/list`, ca);
    assert.equal(list.status, 200);
    assert.equal(list.headers['cache-control'], 'private, max-age=60');
    assert.equal((await httpsGet(`${proxyUrl}/${LOCAL_MODULE}/@v/list`, ca)).headers['x-cache-status'], 'MISS');
  });

  test('a project made private: shared copies revalidate within s-maxage and get the 404; a purge takes them at once', async () => {
    const ca = await readFile(caFile, 'utf8');
    const zipPath = `/${MODULE}/@v/v1.0.0.zip`;
    const cached = await httpsGet(`${proxyUrl}${zipPath}`, ca);
    assert.equal(cached.headers['x-cache-status'], 'HIT');
    await writeFile(`${config}.tmp`, configText('private'));
    await rename(`${config}.tmp`, config);
    const direct = `${server.url}${zipPath}`;
    await within(10_000, async () => (await fetch(direct)).status === 404, 'the reload making the project private');
    // What the shared cache asks once its copy is older than s-maxage: the 404, never stored.
    const revalidation = await fetch(direct, { headers: { 'if-none-match': String(cached.headers.etag) } });
    assert.equal(revalidation.status, 404);
    assert.equal(revalidation.headers.get('cache-control'), 'private, no-store');
    // README "Production": purging nginx's cache is removing its files.
    await rm(join(dir, 'cache'), { recursive: true, force: true });
    await mkdir(join(dir, 'cache'));
    const after = await httpsGet(`${proxyUrl}${zipPath}`, ca);
    assert.equal(after.status, 404);
    assert.equal((await httpsGet(`${proxyUrl}${zipPath}`, ca)).headers['x-cache-status'], 'MISS');
  });
});
