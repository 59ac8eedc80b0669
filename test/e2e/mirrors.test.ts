/**
 * Mirrors of remote repositories, end to end over real git transports on loopback: one remote
 * served by `git daemon`, one over smart HTTP (`git http-backend` behind nginx through fcgiwrap,
 * with Basic authentication), the server run from the command line and the real go client through
 * it. A tag pushed upstream is served within 2 s of a push webhook from each kind of host (real
 * HMACs); a forged webhook changes nothing; a force-moved tag keeps its pinned bytes through `git
 * gc`; a stopped remote keeps the mirror serving and is logged once, a silent one times out, and
 * both recover without a restart; the remote's credentials appear in no log line, metric, page,
 * command output or file of the data directory; live reload adds and removes a mirror.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { type CliServer, runCli, startCliServer } from '../support/cli-server.ts';
import { createRepo, type FixtureRepo } from '../support/git-fixture.ts';
import {
  type GitDaemon,
  pushPayload,
  sendWebhook,
  SMART_HTTP_MISSING,
  type SmartHttpRemote,
  startGitDaemon,
  startGitDaemonOn,
  startSmartHttp,
  type WebhookSender,
} from '../support/git-remotes.ts';
import { goListVersions, goModDownload } from '../support/go-client.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';
import { eventually, within } from '../support/wait.ts';

const run = promisify(execFile);
const HOST = 'go.test';
const SECRET = `webhook-secret-${randomBytes(8).toString('hex')}`;
const PASSWORD = `remote-password-${randomBytes(8).toString('hex')}`;
const WRONG_PASSWORD = `wrong-password-${randomBytes(8).toString('hex')}`;
const FETCH_TIMEOUT_SECONDS = 5;

describe('mirrors of remotes over git daemon and smart HTTP', { skip: SMART_HTTP_MISSING ?? false }, () => {
  let dir: string;
  let upstreamRoot: string;
  let lib: FixtureRepo;
  let secret: FixtureRepo;
  let daemon: GitDaemon;
  let http: SmartHttpRemote;
  let silent: ReturnType<typeof createServer>;
  const held = new Set<Socket>();
  let configFile: string;
  let config: Record<string, unknown>;
  let server: CliServer;
  let day = 1;

  const libUrl = () => `git://127.0.0.1:${daemon.port}/acme/lib.git`;
  const module = (path: string) => `${HOST}/mirrors/${path}`;
  const goMod = (path: string) => `module ${module(path)}\n\ngo 1.19\n`;
  const logLines = (msg: string, mirror?: string) =>
    server.logLines().filter((line) => line['msg'] === msg && (mirror === undefined || line['mirror'] === mirror));
  const waitForLog = (count: number, msg: string, mirror?: string) =>
    within(15_000, () => logLines(msg, mirror).length >= count, `${count} × ${msg} ${mirror ?? ''}`);
  const list = async (path: string) => {
    const response = await fetch(`${server.url}/${module(path)}/@v/list`);
    return { status: response.status, retryAfter: response.headers.get('retry-after'), body: await response.text() };
  };
  /** Commits on the upstream repository and tags it: a push. */
  const pushTag = async (repo: FixtureRepo, tag: string, files: Record<string, string> = {}) => {
    const date = `2024-04-${String(day++).padStart(2, '0')}T08:00:00Z`;
    const commit = await repo.commit({ [`${tag}.go`]: `package x // ${tag}\n`, ...files }, { date });
    await repo.tag(tag, commit);
    return commit;
  };

  before(async () => {
    dir = await makeTempDir('mirrors-e2e');
    upstreamRoot = join(dir, 'upstream');
    lib = await createRepo(upstreamRoot, 'acme/lib');
    await lib.commit({ 'go.mod': goMod('lib'), 'lib.go': 'package lib\n' }, { date: '2024-03-01T08:00:00Z' });
    await lib.tag('v1.0.0');
    secret = await createRepo(upstreamRoot, 'acme/secret');
    await secret.commit({ 'go.mod': goMod('secret'), 'secret.go': 'package secret\n' }, {
      date: '2024-03-02T08:00:00Z',
    });
    await secret.tag('v1.0.0');
    daemon = await startGitDaemon(upstreamRoot);
    http = await startSmartHttp(upstreamRoot, join(dir, 'nginx'), { bot: PASSWORD });
    // A remote that accepts connections and never says a word.
    silent = createServer((socket) => held.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentPort = (silent.address() as { port: number }).port;
    await mkdir(join(dir, 'repos'));
    config = {
      repos: join(dir, 'repos'),
      dataDir: join(dir, 'data'),
      moduleHost: HOST,
      defaultVisibility: 'public',
      webhookSecret: SECRET,
      fetchInterval: 3600,
      fetchTimeout: FETCH_TIMEOUT_SECONDS,
      mirrors: [
        { url: libUrl(), path: 'mirrors/lib' },
        { url: http.url('acme/secret'), path: 'mirrors/secret', credentials: { username: 'bot', password: PASSWORD } },
        {
          url: http.url('acme/lib'),
          path: 'mirrors/denied',
          credentials: { username: 'bot', password: WRONG_PASSWORD },
        },
        { url: `git://127.0.0.1:${silentPort}/acme/lib.git`, path: 'mirrors/silent' },
      ],
    };
    configFile = join(dir, 'config.json');
    await writeFile(configFile, JSON.stringify(config));
    server = await startCliServer(['--config', configFile]);
    await waitForLog(1, 'mirror fetched', 'mirrors/lib');
    await waitForLog(1, 'mirror fetched', 'mirrors/secret');
    await waitForLog(1, 'mirror fetch failed: its last fetched state stays served', 'mirrors/denied');
  });

  after(async () => {
    await server?.stop();
    for (const socket of held) socket.destroy();
    silent?.close();
    await Promise.all([daemon?.stop(), http?.stop()]);
    await removeDir(dir);
  });

  test('the first fetch serves both remotes; a mirror never fetched answers with no versions and Retry-After', async () => {
    for (const path of ['lib', 'secret']) {
      const listed = await goListVersions(module(path), { proxy: server.url });
      assert.deepEqual(listed.versions, ['v1.0.0'], listed.stderr);
    }
    assert.deepEqual(await list('denied'), { status: 200, retryAfter: '5', body: '' });
    assert.deepEqual((await list('lib')).retryAfter, null);
    const [failure] = logLines('mirror fetch failed: its last fetched state stays served', 'mirrors/denied');
    assert.match(String(failure!['error']), /^git ls-remote exited with 128: fatal: Authentication failed for 'http:/);
    assert.match(
      await http.accessLog(),
      /^bot "GET \/git\/acme\/secret\.git\/info\/refs\?service=git-upload-pack HTTP\/1\.1" 200$/m,
    );
  });

  test('a pushed tag is served within 2 s of a verified webhook from GitHub, Gitea, Forgejo and GitLab', async () => {
    const senders: Array<[WebhookSender, string, () => string]> = [
      ['github', 'lib', libUrl],
      ['gitea', 'secret', () => http.url('acme/secret')],
      ['gitlab', 'lib', libUrl],
      ['forgejo', 'secret', () => http.url('acme/secret')],
    ];
    const timings: string[] = [];
    for (const [i, [sender, path, url]] of senders.entries()) {
      const tag = `v1.1.${i}`;
      await pushTag(path === 'lib' ? lib : secret, tag);
      const fetches = logLines('mirror fetched', `mirrors/${path}`).length;
      const started = performance.now();
      const answer = await sendWebhook(`${server.url}/-/hooks/push`, sender, SECRET, pushPayload(sender, url(), tag));
      assert.deepEqual(answer, { status: 202, body: 'accepted: fetching 1 mirror\n' });
      await waitForLog(fetches + 1, 'mirror fetched', `mirrors/${path}`);
      const { body } = await list(path);
      const ms = performance.now() - started;
      assert.ok(body.split('\n').includes(tag), `${tag} listed after the ${sender} webhook`);
      assert.ok(ms < 2000, `${sender}: ${tag} listed ${Math.round(ms)} ms after the webhook`);
      timings.push(`${sender} ${Math.round(ms)} ms`);
    }
    const listed = await goListVersions(module('secret'), { proxy: server.url });
    assert.deepEqual(listed.versions, ['v1.0.0', 'v1.1.1', 'v1.1.3'], listed.stderr);
    process.stderr.write(`# webhook to listed: ${timings.join(', ')}\n`);
  });

  test('a forged, unsigned or oversized webhook changes nothing, and says nothing about what exists', async () => {
    await pushTag(lib, 'v1.2.0');
    const hook = `${server.url}/-/hooks/push`;
    const fetches = logLines('mirror fetched', 'mirrors/lib').length;
    const forged = await sendWebhook(
      hook,
      'github',
      'not the secret at all',
      pushPayload('github', libUrl(), 'v1.2.0'),
    );
    const forgedUnknown = await sendWebhook(
      hook,
      'gitea',
      'guess',
      pushPayload('gitea', 'https://nowhere.example/x', ''),
    );
    const unsigned = await fetch(hook, { method: 'POST', body: JSON.stringify(pushPayload('github', libUrl(), '')) });
    for (const answer of [forged, forgedUnknown, { status: unsigned.status, body: await unsigned.text() }]) {
      assert.deepEqual(answer, { status: 401, body: 'unauthorized: no valid webhook signature or token\n' });
    }
    const unknown = await sendWebhook(hook, 'github', SECRET, pushPayload('github', 'https://nowhere.example/x', ''));
    assert.deepEqual(unknown, { status: 404, body: 'not found: no mirror of this repository\n' });
    const huge = await fetch(hook, { method: 'POST', body: 'x'.repeat((1 << 20) + 1) });
    assert.equal(huge.status, 413);
    const chunked = await postChunked(hook, Buffer.alloc(64 * 1024, 'x'), 17);
    assert.equal(chunked, 413, 'a body without a length is cut at 1 MiB too');
    const signed = (event: string, body: string) => ({
      method: 'POST',
      headers: { 'X-GitHub-Event': event, 'X-Hub-Signature-256': `sha256=${hmacHex(body)}` },
      body,
    });
    const payload = JSON.stringify(pushPayload('github', libUrl(), ''));
    const ping = await fetch(hook, signed('ping', payload));
    assert.deepEqual([ping.status, await ping.text()], [200, 'pong\n']);
    const star = await fetch(hook, signed('star', payload));
    assert.deepEqual([star.status, await star.text()], [200, 'ignored: not a push\n']);
    const notJson = await fetch(hook, signed('push', '{"repository":'));
    assert.equal(notJson.status, 400);
    const get = await fetch(hook);
    assert.deepEqual([get.status, get.headers.get('allow')], [405, 'POST']);
    assert.ok(!(await list('lib')).body.includes('v1.2.0'), 'not fetched');
    assert.equal(logLines('mirror fetched', 'mirrors/lib').length, fetches, 'no fetch');

    const valid = await sendWebhook(hook, 'github', SECRET, pushPayload('github', libUrl(), 'v1.2.0'));
    assert.equal(valid.status, 202);
    await waitForLog(fetches + 1, 'mirror fetched', 'mirrors/lib');
    assert.ok((await list('lib')).body.includes('v1.2.0'));
  });

  test('a force-moved tag keeps its pinned bytes through git gc; a new version comes from the new commit', async () => {
    const pinned = await goModDownload(`${module('lib')}@v1.0.0`, { proxy: server.url });
    assert.equal(pinned.exitCode, 0, pinned.stderr);
    // A history rewrite upstream: a new root commit on main, v1.0.0 moved onto it, v1.3.0 beside it.
    const rewritten = await lib.commit({ 'go.mod': goMod('lib'), 'other.go': 'package lib // rewritten\n' }, {
      date: '2024-05-01T08:00:00Z',
      parents: [],
    });
    await lib.tag('v1.0.0', rewritten);
    await lib.tag('v1.3.0', rewritten);
    for (const tag of ['v1.1.0', 'v1.1.2', 'v1.2.0']) await lib.deleteTag(tag);
    const fetches = logLines('mirror fetched', 'mirrors/lib').length;
    assert.equal(
      (await sendWebhook(`${server.url}/-/hooks/push`, 'github', SECRET, pushPayload('github', libUrl(), 'v1.3.0')))
        .status,
      202,
    );
    await waitForLog(fetches + 1, 'mirror fetched', 'mirrors/lib');
    const mirror = join(dir, 'data', 'mirrors', 'mirrors', 'lib.git');
    await run('git', [`--git-dir=${mirror}`, 'gc', '--prune=now', '--quiet']);
    const again = await goModDownload(`${module('lib')}@v1.0.0`, { proxy: server.url });
    assert.equal(again.exitCode, 0, again.stderr);
    assert.equal(again.json?.Sum, pinned.json?.Sum, 'the pinned bytes');
    const moved = await goModDownload(`${module('lib')}@v1.3.0`, { proxy: server.url });
    assert.equal(moved.exitCode, 0, moved.stderr);
    assert.notEqual(moved.json?.Sum, pinned.json?.Sum);
    assert.ok(server.logLines().some((line) => String(line['msg']).includes('is pinned to commit')));
  });

  test('a stopped remote keeps the mirror serving, is logged once and counted, and recovers without a restart', async () => {
    const port = daemon.port;
    await daemon.stop();
    await pushTag(lib, 'v1.4.0');
    const failed = 'mirror fetch failed: its last fetched state stays served';
    const failures = 'git_goproxy_mirror_fetch_failures_total{mirror="mirrors/lib"}';
    for (const expected of [1, 2]) {
      assert.equal(
        (await sendWebhook(`${server.url}/-/hooks/push`, 'github', SECRET, pushPayload('github', libUrl(), 'v1.4.0')))
          .status,
        202,
      );
      await eventually(15_000, async () => (await metric(failures)) >= expected, `${expected} failed fetches`);
    }
    assert.equal(logLines(failed, 'mirrors/lib').length, 1, 'logged once');
    assert.match(String(logLines(failed, 'mirrors/lib')[0]!['error']), /unable to connect|Connection refused/);
    assert.equal(await metric('git_goproxy_mirror_up{mirror="mirrors/lib"}'), 0);
    const serving = await goListVersions(module('lib'), { proxy: server.url });
    assert.deepEqual(serving.versions, ['v1.0.0', 'v1.3.0'], serving.stderr);
    const ready = await fetch(`${server.url}/-/ready`);
    assert.equal(ready.status, 200);

    daemon = await startGitDaemonOn(upstreamRoot, port);
    assert.equal(
      (await sendWebhook(`${server.url}/-/hooks/push`, 'github', SECRET, pushPayload('github', libUrl(), 'v1.4.0')))
        .status,
      202,
    );
    await waitForLog(1, 'mirror fetch succeeded again', 'mirrors/lib');
    assert.ok((await list('lib')).body.includes('v1.4.0'));
    assert.equal(await metric('git_goproxy_mirror_up{mirror="mirrors/lib"}'), 1);
  });

  test('a remote that never answers is cut off after fetchTimeout', async () => {
    await waitForLog(1, 'mirror fetch failed: its last fetched state stays served', 'mirrors/silent');
    const [line] = logLines('mirror fetch failed: its last fetched state stays served', 'mirrors/silent');
    assert.equal(line!['error'], `fetch timed out after ${FETCH_TIMEOUT_SECONDS} s`);
    assert.equal((await list('silent')).retryAfter, '5');
  });

  test('the mirrors and check commands report each mirror; mirrors fetch fetches beside the server', async () => {
    await pushTag(lib, 'v1.5.0');
    const fetched = await runCli(['mirrors', 'fetch', 'mirrors/lib', '--config', configFile]);
    assert.equal(fetched.exitCode, 0, fetched.stderr);
    assert.ok((await list('lib')).body.includes('v1.5.0'), 'the server serves what the command fetched');
    assert.match(fetched.stdout, /^mirrors\/lib\s+git:\/\/127\.0\.0\.1:\d+\/acme\/lib\.git\s+fetched\s+20\d\d-/m);
    const all = await runCli(['mirrors', '--config', configFile]);
    assert.equal(all.exitCode, 0, all.stderr);
    assert.match(
      all.stdout,
      /^mirrors\/denied\s+\S+\s+failing, never fetched\s+-\s+git ls-remote exited with 128: .*Authentication failed/m,
    );
    assert.match(all.stdout, /^mirrors\/silent\s+\S+\s+failing, never fetched\s+-\s+fetch timed out after 5 s$/m);
    const everything = await runCli(['mirrors', 'fetch', '--config', configFile]);
    assert.equal(everything.exitCode, 1, 'a mirror failed');
    const usage = await runCli(['mirrors', 'frob', '--config', configFile]);
    assert.deepEqual([usage.exitCode, usage.stderr], [
      2,
      'git-goproxy: mirrors: unexpected "frob": expected "mirrors" or "mirrors fetch [PATH…]"\n',
    ]);
    const unknown = await runCli(['mirrors', 'fetch', 'nope', '--config', configFile]);
    assert.equal(unknown.exitCode, 2);
    assert.match(unknown.stderr, /no mirror "nope"/);
    const check = await runCli(['check', '--config', configFile]);
    assert.equal(check.exitCode, 0, check.stderr);
    assert.match(
      check.stdout,
      /^mirrors\/secret\s+-\s+go\.test\/mirrors\/secret\s+public\s+\S+mirrors\/mirrors\/secret\.git$/m,
    );
    assert.match(check.stdout, /^mirrors: 4$/m);
    assert.match(check.stdout, /^mirrors\/secret\s+http:\S+\s+fetched\s/m);
  });

  test('live reload adds a mirror, and removing one makes its modules 404 at once', async () => {
    const extra = await createRepo(upstreamRoot, 'acme/extra');
    await extra.commit({ 'go.mod': goMod('extra') }, { date: '2024-06-01T08:00:00Z' });
    await extra.tag('v0.1.0');
    const mirrors = config['mirrors'] as unknown[];
    const reloads = logLines('config reloaded').length;
    await writeFile(
      configFile,
      JSON.stringify({
        ...config,
        mirrors: [...mirrors, { url: `git://127.0.0.1:${daemon.port}/acme/extra.git`, path: 'mirrors/extra' }],
      }),
    );
    await waitForLog(reloads + 1, 'config reloaded');
    await waitForLog(1, 'mirror fetched', 'mirrors/extra');
    const added = await goListVersions(module('extra'), { proxy: server.url });
    assert.deepEqual(added.versions, ['v0.1.0'], added.stderr);

    await writeFile(configFile, JSON.stringify(config));
    await waitForLog(reloads + 2, 'config reloaded');
    assert.equal((await list('extra')).status, 404);
  });

  test('the remote credentials appear in no log line, metric, page, command output or data file', async () => {
    const seen: Array<[string, string]> = [
      ['stderr', JSON.stringify(server.logLines())],
      ['metrics', await (await fetch(`${server.url}/metrics`)).text()],
    ];
    for (const page of ['/', '/-/modules/go.test/mirrors/secret', '/-/modules/go.test/mirrors/denied', '/-/catalog']) {
      seen.push([page, await (await fetch(`${server.url}${page}`)).text()]);
    }
    for (const command of [['check'], ['mirrors'], ['mirrors', 'fetch', 'mirrors/denied']]) {
      const output = await runCli([...command, '--config', configFile]);
      seen.push([command.join(' '), output.stdout + output.stderr]);
    }
    for (const file of await filesBelow(join(dir, 'data'))) {
      seen.push([file, (await readFile(file)).toString('latin1')]);
    }
    assert.ok(seen.length > 20);
    for (const [where, text] of seen) {
      for (const credential of [PASSWORD, WRONG_PASSWORD]) {
        assert.ok(!text.includes(credential), `a credential in ${where}`);
      }
    }
  });

  /** The value of one series in `/metrics`. */
  async function metric(series: string): Promise<number> {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
    return line === undefined ? Number.NaN : Number(line.slice(series.length + 1));
  }
});

/** The HMAC-SHA256 of `body` with the webhook secret, in hex. */
function hmacHex(body: string): string {
  return createHmac('sha256', SECRET).update(body).digest('hex');
}

/** POSTs `count` copies of `chunk` without a Content-Length (chunked); resolves with the status. */
function postChunked(url: string, chunk: Buffer, count: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'Transfer-Encoding': 'chunked' } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      // The server answers 413 and closes without reading the rest: a write may then fail.
      if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error);
    });
    const write = (left: number): void => {
      if (left === 0) return void req.end();
      if (req.write(chunk)) write(left - 1);
      else req.once('drain', () => write(left - 1));
    };
    write(count);
  });
}

/** Every file below `dir`, recursively. */
async function filesBelow(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}
