/**
 * Mirrors of remote repositories without a network: remote URLs (what is accepted, what two
 * spellings of one repository share, secrets removed from messages), credentials on their way to
 * git, push webhooks' signatures (real HMACs), and fetches from `file://` remotes: branches and
 * tags only, forced and pruned, HEAD following the remote, pinned commits kept through a rewrite and
 * `git gc`, fetches coalesced, failures recorded and logged once per state change, and the lock that
 * keeps two processes from fetching one mirror at once.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, describe, test } from 'node:test';
import { ALLOWED_PROTOCOLS, redact, remoteKey, remoteUrlError } from '../../lib/mirrors/remote-url.ts';
import { credentialsFor, fetchAuth, shellQuote } from '../../lib/mirrors/credentials.ts';
import { readHook } from '../../lib/mirrors/webhook.ts';
import { mirrorGitDir, MirrorSet, type MirrorSettings } from '../../lib/mirrors/mirror-set.ts';
import { lockMirror } from '../../lib/mirrors/fetch-lock.ts';
import { readRecord, writeRecord } from '../../lib/mirrors/mirror-record.ts';
import { Logger } from '../../lib/common/log.ts';
import { createRepo, type FixtureRepo } from '../support/git-fixture.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';
import { within } from '../support/wait.ts';
import { liveChildCount } from '../../lib/git/children.ts';

const run = promisify(execFile);
const root = await makeTempDir('mirrors');
after(() => removeDir(root));

describe('remote URLs', () => {
  test('the transports git may fetch a mirror with, and nothing that holds a credential', () => {
    for (
      const url of [
        'https://git.example.com/acme/lib.git',
        'http://127.0.0.1:8080/git/acme/lib.git',
        'git://127.0.0.1:9418/acme/lib.git',
        'ssh://git@git.example.com:2222/acme/lib.git',
        'git@github.com:acme/lib.git',
        'github.com:acme/lib.git',
        'file:///srv/git/acme/lib.git',
      ]
    ) assert.equal(remoteUrlError(url), undefined, url);
    const refused: Array<[string, RegExp]> = [
      ['https://bot:s3cret@git.example.com/acme/lib.git', /credentials/],
      ['https://bot@git.example.com/acme/lib.git', /credentials/],
      ['ssh://git:s3cret@git.example.com/acme/lib.git', /credentials/],
      ['ext::sh -c touch% /tmp/pwned', /spaces/],
      ['ext::whatever', /remote helper/],
      ['ftp://git.example.com/lib.git', /must be an https/],
      ['file://host/srv/git/lib.git', /local path/],
      ['git:///lib.git', /host/],
      ['ssh://-oProxyCommand=x/lib.git', /host/],
      ['git@host:-upload-pack', /path/],
      ['/srv/git/lib.git', /URL/],
      ['https://git.example.com/a\nb', /control/],
    ];
    for (const [url, reason] of refused) {
      const error = remoteUrlError(url);
      assert.match(error ?? '', reason, url);
      assert.ok(!error!.includes('s3cret'), 'the reason never repeats the URL');
    }
  });

  test('one key for the spellings of one repository', () => {
    const same = [
      ['https://GitHub.com/Acme/Lib.git/', 'https://github.com/acme/lib'],
      ['git@github.com:acme/lib.git', 'ssh://git@github.com/acme/lib'],
      ['ssh://git@github.com:22/acme/lib.git', 'github.com:acme/lib'],
      ['git://127.0.0.1:9418/acme/lib.git', 'git://127.0.0.1/acme/lib'],
      ['https://git.example.com:443/acme/lib', 'https://git.example.com/acme/lib.git'],
    ];
    for (const [a, b] of same) assert.equal(remoteKey(a!), remoteKey(b!), `${a} = ${b}`);
    assert.notEqual(remoteKey('http://git.example.com/acme/lib'), remoteKey('https://git.example.com/acme/lib'));
    assert.notEqual(remoteKey('https://git.example.com/acme/lib'), remoteKey('https://git.example.com/acme/lib2'));
    assert.notEqual(remoteKey('git://h:1/a'), remoteKey('git://h:2/a'));
    assert.equal(remoteKey('not a url'), undefined);
    assert.equal(remoteKey('ftp://host/x'), undefined);
  });

  test('secrets and user information are taken out of messages', () => {
    assert.equal(
      redact("fatal: Authentication failed for 'https://bot:hunter2@host/x' (hunter2)", ['hunter2']),
      "fatal: Authentication failed for 'https://***@host/x' (***)",
    );
    assert.equal(redact('nothing to hide', ['', 'absent']), 'nothing to hide');
  });
});

describe('credentials', () => {
  test("a mirror's own win, else the longest matching prefix", () => {
    const shared = [
      { urlPrefix: 'https://git.example.com/', username: 'org', password: 'a' },
      { urlPrefix: 'https://git.example.com/acme/', username: 'team', password: 'b' },
    ];
    assert.equal(credentialsFor('https://git.example.com/acme/lib', undefined, shared)?.username, 'team');
    assert.equal(credentialsFor('https://git.example.com/other/lib', undefined, shared)?.username, 'org');
    assert.equal(credentialsFor('https://elsewhere.example/lib', undefined, shared), undefined);
    assert.equal(credentialsFor('https://git.example.com/acme/lib', { sshKeyFile: '/k' }, shared)?.sshKeyFile, '/k');
  });

  test('reach git through the environment and askpass.sh, never a file or an argument', async () => {
    const none = await fetchAuth(undefined);
    assert.deepEqual(none, {
      env: { GIT_ALLOW_PROTOCOL: ALLOWED_PROTOCOLS, GIT_SSH_COMMAND: 'ssh -o BatchMode=yes' },
      secrets: [],
    });
    const file = join(root, 'password');
    await writeFile(file, 'from-a-file\n');
    const auth = await fetchAuth({ username: 'bot', passwordFile: file });
    assert.deepEqual(auth.secrets, ['from-a-file']);
    assert.equal(auth.env['GIT_GOPROXY_REMOTE_PASSWORD'], 'from-a-file');
    const askpass = auth.env['GIT_ASKPASS']!;
    const ask = async (prompt: string) => (await run(askpass, [prompt], { env: { ...auth.env } })).stdout;
    assert.equal(await ask("Username for 'https://git.example.com': "), 'bot\n');
    assert.equal(await ask("Password for 'https://bot@git.example.com': "), 'from-a-file\n');

    await assert.rejects(fetchAuth({ username: 'bot', passwordFile: join(root, 'missing') }), /passwordFile: ENOENT/);
    const ssh = await fetchAuth({ sshKeyFile: "/keys/it's here" });
    assert.equal(
      ssh.env['GIT_SSH_COMMAND'],
      `ssh -o BatchMode=yes -i ${shellQuote("/keys/it's here")} -o IdentitiesOnly=yes`,
    );
    assert.equal((await run('sh', ['-c', `printf %s ${shellQuote("a'b $c")}`])).stdout, "a'b $c");
  });
});

describe('push webhooks', () => {
  const secret = 'a webhook secret, long enough';
  const body = Buffer.from(JSON.stringify({
    ref: 'refs/tags/v1.1.0',
    repository: { clone_url: 'https://git.example.com/acme/lib.git', ssh_url: 'git@git.example.com:acme/lib.git' },
    project: {
      git_http_url: 'https://gitlab.example.com/acme/lib.git',
      git_ssh_url: 'git@gitlab.example.com:acme/lib.git',
    },
  }));
  const hmac = (text: Uint8Array, key = secret) => createHmac('sha256', key).update(text).digest('hex');

  test('GitHub, Gitea and Forgejo sign the body; GitLab sends the secret', () => {
    const github = readHook({ 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${hmac(body)}` }, body, secret);
    assert.deepEqual(github, {
      kind: 'push',
      urls: ['https://git.example.com/acme/lib.git', 'git@git.example.com:acme/lib.git'],
    });
    for (const host of ['gitea', 'forgejo']) {
      const hook = readHook({ [`x-${host}-event`]: 'push', [`x-${host}-signature`]: hmac(body) }, body, secret);
      assert.equal(hook !== 'unverified' && hook !== 'malformed' && hook.kind, 'push', host);
    }
    for (const event of ['Push Hook', 'Tag Push Hook']) {
      assert.deepEqual(readHook({ 'x-gitlab-event': event, 'x-gitlab-token': secret }, body, secret), {
        kind: 'push',
        urls: ['https://gitlab.example.com/acme/lib.git', 'git@gitlab.example.com:acme/lib.git'],
      });
    }
    const system = Buffer.from(
      JSON.stringify({ event_name: 'tag_push', project: { git_http_url: 'https://h/x.git' } }),
    );
    assert.deepEqual(readHook({ 'x-gitlab-event': 'System Hook', 'x-gitlab-token': secret }, system, secret), {
      kind: 'push',
      urls: ['https://h/x.git'],
    });
    const issue = readHook({ 'x-gitlab-event': 'Issue Hook', 'x-gitlab-token': secret }, body, secret);
    assert.equal(issue !== 'unverified' && issue !== 'malformed' && issue.kind, 'other');
    const ping = readHook({ 'x-github-event': 'ping', 'x-hub-signature-256': `sha256=${hmac(body)}` }, body, secret);
    assert.equal(ping !== 'unverified' && ping !== 'malformed' && ping.kind, 'ping');
    const star = readHook({ 'x-gitea-event': 'star', 'x-gitea-signature': hmac(body) }, body, secret);
    assert.equal(star !== 'unverified' && star !== 'malformed' && star.kind, 'other');
  });

  test('a forged, missing or malformed signature is unverified, and the body is not read', () => {
    const forged: Array<Record<string, string | string[]>> = [
      {},
      { 'x-github-event': 'push' },
      { 'x-hub-signature-256': `sha256=${hmac(body, 'another secret entirely')}` },
      { 'x-hub-signature-256': hmac(body) }, // no sha256= prefix
      { 'x-hub-signature-256': `sha256=${hmac(body).slice(2)}` },
      { 'x-hub-signature-256': `sha256=${'zz'.repeat(32)}` },
      { 'x-gitea-signature': hmac(Buffer.concat([body, Buffer.from(' ')])) },
      { 'x-forgejo-signature': `sha256=${hmac(body)}` },
      { 'x-gitlab-token': `${secret} ` },
      { 'x-gitlab-token': ['wrong', secret] },
    ];
    for (const headers of forged) assert.equal(readHook(headers, body, secret), 'unverified', JSON.stringify(headers));
    const notJson = Buffer.from('{"repository":');
    assert.equal(readHook({ 'x-hub-signature-256': `sha256=${hmac(notJson)}` }, notJson, secret), 'malformed');
    const array = Buffer.from('[1]');
    assert.equal(readHook({ 'x-gitea-signature': hmac(array) }, array, secret), 'malformed');
  });
});

/** A logger whose lines tests read. */
function recordingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  return { logger: new Logger({ write: (line) => lines.push(JSON.parse(line)) }), lines };
}

const settings = (mirrors: MirrorSettings['mirrors'], more: Partial<MirrorSettings> = {}): MirrorSettings => ({
  mirrors,
  credentials: [],
  fetchInterval: 300,
  fetchTimeout: 60,
  webhookSecret: undefined,
  ...more,
});

async function git(gitDir: string, ...args: string[]): Promise<string> {
  return (await run('git', [`--git-dir=${gitDir}`, ...args])).stdout;
}

async function refsOf(gitDir: string): Promise<string> {
  return git(gitDir, 'for-each-ref', '--format=%(refname) %(objectname)');
}

describe('fetching mirrors from file:// remotes', () => {
  let upstream: FixtureRepo;
  let first: string;
  const date = (day: number) => `2024-03-${String(day).padStart(2, '0')}T10:00:00Z`;

  test('branches and tags only, HEAD as the remote has it, nothing about the remote kept', async () => {
    upstream = await createRepo(join(root, 'up'), 'acme/lib', { defaultBranch: 'trunk' });
    first = await upstream.commit({ 'go.mod': 'module go.test/lib\n' }, { date: date(1) });
    await upstream.tag('v1.0.0');
    await upstream.tag('v1.0.1', undefined, { annotated: true });
    await upstream.commit({ 'b.go': 'package lib\n' }, { date: date(2), branch: 'feature' });
    await upstream.updateRef('refs/pull/1/head', first);
    await upstream.updateRef('refs/merge-requests/2/head', first);

    const { logger, lines } = recordingLogger();
    const set = new MirrorSet({ dir: join(root, 'mirrors'), maxFetches: 2, logger });
    await set.configure(settings([{ url: `file://${upstream.gitDir}`, path: 'mirrors/lib' }]));
    const gitDir = mirrorGitDir(join(root, 'mirrors'), 'mirrors/lib');
    assert.equal(set.retryAfter('mirrors/lib'), 5, 'not fetched yet');
    assert.equal(set.retryAfter('elsewhere'), undefined);
    await set.fetch('command');
    assert.equal(set.retryAfter('mirrors/lib'), undefined);
    const refs = await refsOf(gitDir);
    assert.match(refs, /^refs\/heads\/feature /m);
    assert.match(refs, /^refs\/heads\/trunk /m);
    assert.match(refs, /^refs\/tags\/v1\.0\.0 /m);
    assert.match(refs, /^refs\/tags\/v1\.0\.1 /m);
    assert.doesNotMatch(refs, /pull|merge-requests/);
    assert.equal((await readFile(join(gitDir, 'HEAD'), 'utf8')).trim(), 'ref: refs/heads/trunk');
    assert.ok(!existsSync(join(gitDir, 'FETCH_HEAD')));
    assert.doesNotMatch(await readFile(join(gitDir, 'config'), 'utf8'), /remote|url/);
    assert.deepEqual(lines.map((line) => [line['msg'], line['mirror'], line['trigger']]), [
      ['mirror fetched', 'mirrors/lib', 'command'],
    ]);
    const [status] = set.statuses();
    assert.equal(status!.fetches, 1);
    assert.equal(status!.failures, 0);
    assert.ok(status!.record.lastSuccess! >= status!.record.lastSuccessStarted!);
    await set.close();
  });

  test('moved tags and rewritten branches follow the remote, deleted refs go, pinned commits stay', async () => {
    const { logger } = recordingLogger();
    const set = new MirrorSet({ dir: join(root, 'mirrors'), maxFetches: 2, logger });
    await set.configure(settings([{ url: `file://${upstream.gitDir}`, path: 'mirrors/lib' }]));
    const gitDir = mirrorGitDir(join(root, 'mirrors'), 'mirrors/lib');
    await set.keepPinned('mirrors/lib', first);
    await set.keepPinned('not/a/mirror', first); // nothing to keep: not a mirror
    const { logger: warnings, lines } = recordingLogger();
    const other = new MirrorSet({ dir: join(root, 'mirrors'), maxFetches: 1, logger: warnings });
    await other.configure(settings([{ url: `file://${upstream.gitDir}`, path: 'mirrors/lib' }]));
    await other.keepPinned('mirrors/lib', 'f'.repeat(40)); // no such commit: said, not thrown
    assert.deepEqual([lines[0]?.['msg'], lines[0]?.['commit']], [
      'cannot keep a pinned commit in its mirror',
      'f'.repeat(40),
    ]);
    await other.close();
    // A force push: a new root commit on trunk, v1.0.0 moved onto it, the feature branch and v1.0.1 deleted.
    const rewritten = await upstream.commit({ 'go.mod': 'module go.test/lib\n', 'c.go': 'package lib\n' }, {
      date: date(3),
      parents: [],
    });
    await upstream.tag('v1.0.0', rewritten);
    await upstream.deleteTag('v1.0.1');
    await upstream.deleteBranch('feature');
    await set.fetch('command');
    const refs = await refsOf(gitDir);
    assert.match(refs, new RegExp(`^refs/tags/v1\\.0\\.0 ${rewritten}$`, 'm'));
    assert.match(refs, new RegExp(`^refs/heads/trunk ${rewritten}$`, 'm'));
    assert.doesNotMatch(refs, /feature|v1\.0\.1/);
    assert.match(refs, new RegExp(`^refs/goproxy/pinned/${first} ${first}$`, 'm'));
    await git(gitDir, 'gc', '--prune=now', '--quiet');
    assert.equal((await git(gitDir, 'cat-file', '-t', first)).trim(), 'commit', 'the pinned commit survives gc');
    await set.close();
  });

  test('requests during a fetch make one more fetch; a failure is recorded and logged once per state change', async () => {
    const { logger, lines } = recordingLogger();
    const set = new MirrorSet({ dir: join(root, 'mirrors'), maxFetches: 1, logger });
    const missing = join(root, 'up', 'missing.git');
    await set.configure(settings([{ url: `file://${upstream.gitDir}`, path: 'mirrors/lib' }]));
    const mirror = set.get('mirrors/lib')!;
    const running = mirror.fetch('webhook');
    await within(10_000, () => liveChildCount() > 0, 'the fetch runs git');
    await Promise.all([running, ...[1, 2, 3, 4, 5].map(() => mirror.fetch('webhook'))]);
    assert.equal(mirror.status.fetches, 2, 'one fetch, and one more for the requests made while it ran');

    await set.configure(settings([{ url: `file://${missing}`, path: 'mirrors/lib' }]));
    await mirror.fetch('interval');
    await mirror.fetch('webhook');
    assert.equal(mirror.status.failures, 2);
    const record = await readRecord(mirror.gitDir);
    assert.equal(record.failuresInRow, 2);
    assert.match(record.lastError!, /does not appear to be a git repository|not found|could not read/i);
    assert.ok(record.lastSuccess !== undefined, 'the last success is kept');
    assert.equal(set.retryAfter('mirrors/lib'), undefined, 'still served as fetched before');

    await set.configure(settings([{ url: `file://${upstream.gitDir}`, path: 'mirrors/lib' }]));
    await mirror.fetch('command');
    assert.deepEqual(lines.map((line) => line['msg']), [
      'mirror fetched',
      'mirror fetched',
      'mirror fetch failed: its last fetched state stays served',
      'mirror fetch succeeded again',
      'mirror fetched',
    ]);
    assert.equal((await readRecord(mirror.gitDir)).lastError, undefined);
    await writeFile(join(mirror.gitDir, 'git-goproxy.json'), '{"lastSuccess":');
    assert.deepEqual(await readRecord(mirror.gitDir), { failuresInRow: 0 }, 'a torn record is no record');
    await set.close();
  });

  test('a password file that cannot be read fails the fetch, saying so without a secret', async () => {
    const { logger, lines } = recordingLogger();
    const set = new MirrorSet({ dir: join(root, 'mirrors'), maxFetches: 1, logger });
    await set.configure(settings([{
      url: `file://${upstream.gitDir}`,
      path: 'mirrors/locked',
      credentials: { username: 'bot', passwordFile: join(root, 'no-such-file') },
    }]));
    await set.fetch('command');
    assert.equal(lines[0]!['error'], 'cannot read the passwordFile: ENOENT');
    assert.equal(set.retryAfter('mirrors/locked'), 5, 'never fetched');
    await set.close();
  });

  test('removed mirrors stop, added ones are created and fetched once started', async () => {
    const { logger, lines } = recordingLogger();
    const set = new MirrorSet({ dir: join(root, 'mirrors'), maxFetches: 2, logger });
    await set.configure(settings([]));
    set.start();
    await set.configure(settings([{ url: `file://${upstream.gitDir}`, path: 'added/lib' }]));
    const added = set.get('added/lib')!;
    assert.ok(existsSync(join(added.gitDir, 'HEAD')), 'created before the configure resolves');
    await added.idle();
    assert.equal(added.status.fetches, 1);
    assert.deepEqual(lines.map((line) => [line['msg'], line['trigger']]), [['mirror fetched', 'start']]);
    // A shorter interval takes effect at once: the next fetch comes a second later.
    await set.configure(settings([{ url: `file://${upstream.gitDir}`, path: 'added/lib', fetchInterval: 1 }]));
    await within(10_000, () => lines.some((line) => line['trigger'] === 'interval'), 'a fetch on the interval');
    await set.configure(settings([]));
    assert.equal(set.get('added/lib'), undefined);
    assert.deepEqual(set.all(), []);
    await set.close();
  });
});

describe('the fetch lock', () => {
  test('waits for a live holder and takes over from a dead one', async () => {
    const gitDir = join(root, 'locks', 'a.git');
    const stop = new AbortController();
    const unlock = await lockMirror(gitDir, stop.signal);
    let second = false;
    const waiting = lockMirror(gitDir, stop.signal).then((release) => {
      second = true;
      return release;
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(second, false, 'held');
    await unlock();
    await (await waiting)();
    assert.equal(second, true);

    await writeFile(`${gitDir}.fetching`, '2147483646 0123abcd\n'); // no such process
    await (await lockMirror(gitDir, stop.signal))();

    await writeFile(`${gitDir}.fetching`, `${process.pid} 0123abcd\n`); // this pid, an earlier run
    await (await lockMirror(gitDir, stop.signal))();

    await writeFile(`${gitDir}.fetching`, ''); // a holder that died before it wrote its name…
    const long = new Date(Date.now() - 60_000);
    await utimes(`${gitDir}.fetching`, long, long); // …a minute ago
    await (await lockMirror(gitDir, stop.signal))();

    const held = await lockMirror(gitDir, stop.signal);
    const aborted = lockMirror(gitDir, stop.signal);
    stop.abort(new Error('shutting down'));
    await assert.rejects(aborted, /shutting down/);
    await held();
  });

  test('a fetch that another process made after the request is not repeated', async () => {
    const upstream = await createRepo(join(root, 'up2'), 'x/y');
    await upstream.commit({ 'a.txt': 'a' }, { date: '2024-01-01T00:00:00Z' });
    const { logger } = recordingLogger();
    const set = new MirrorSet({ dir: join(root, 'mirrors2'), maxFetches: 1, logger });
    await set.configure(settings([{ url: `file://${upstream.gitDir}`, path: 'x/y' }]));
    const mirror = set.get('x/y')!;
    // Another process holds the lock, fetches, records a success that started now, and lets go.
    const unlock = await lockMirror(mirror.gitDir, new AbortController().signal);
    const request = mirror.fetch('webhook');
    const started = Date.now() + 1; // after the request
    await writeRecord(mirror.gitDir, { lastSuccessStarted: started, lastSuccess: started, failuresInRow: 0 });
    await unlock();
    await request;
    assert.equal(mirror.status.fetches, 0, 'answered by the other process');
    assert.equal(mirror.fetched, true);
    await set.close();
  });
});
