/**
 * The configuration (lib/cli/config.ts): defaults, the config file's keys and the errors for bad
 * ones, environment and flag precedence, `--listen` parsing, tokens and visibility in the file.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  loadConfigFile,
  parseListen,
  resolveOptions,
  restartOptionsChanged,
  serverSettingsChanged,
} from '../../lib/cli/config.ts';
import { ConfigError } from '../../lib/common/errors.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';

const dir = await makeTempDir('config');
after(() => removeDir(dir));
let files = 0;

/** Writes `content` to a fresh `config.json` and runs `check` on its path. */
function withConfigFile(content: string, check: (file: string) => void): void {
  const fileDir = join(dir, String(files++));
  mkdirSync(fileDir);
  const file = join(fileDir, 'config.json');
  writeFileSync(file, content);
  check(file);
}

function rejectsWith(content: string, message: RegExp): void {
  withConfigFile(
    content,
    (file) =>
      assert.throws(() => loadConfigFile(file), (e: unknown) => e instanceof ConfigError && message.test(e.message)),
  );
}

test('defaults', () => {
  const options = resolveOptions();
  assert.equal(options.moduleHost, 'go.localhost');
  assert.equal(options.compression, 'default');
  assert.match(options.repos, /\/repos$/);
  assert.equal(options.zipSpoolMiB, 1024);
  assert.equal(options.zipStreamsPerClient, 32);
});

test('a valid config file loads, with paths relative to the file', () => {
  withConfigFile(
    JSON.stringify({
      repos: 'git',
      listen: '[::1]:9000',
      projects: [{ path: 'golang/sync', id: 7, modulePath: 'golang.org/x/sync', visibility: 'public' }],
    }),
    (file) => {
      const config = loadConfigFile(file);
      assert.equal(config.repos, join(file, '..', 'git'));
      assert.equal(config.projects?.[0].id, 7);
    },
  );
});

test('unknown keys and bad values stop start-up with a one-line error naming the key', () => {
  rejectsWith('{"repo": "x"}', /^config: repo: unknown key$/);
  rejectsWith('{"projects": [{"path": "a/b", "modulePth": "x"}]}', /projects\[0\]\.modulePth: unknown key/);
  rejectsWith('{"projects": [{"id": 3}]}', /projects\[0\]\.path: is required/);
  rejectsWith('{"projects": [{"path": "a/../b"}]}', /projects\[0\]\.path/);
  rejectsWith('{"projects": [{"path": "a", "id": 1}, {"path": "b", "id": 1}]}', /projects\[1\]\.id: duplicate id 1/);
  rejectsWith('{"projects": [{"path": "a", "repo": "relative.git"}]}', /projects\[0\]\.repo: must be an absolute path/);
  rejectsWith('{"defaultVisibility": "internal"}', /defaultVisibility: must be one of/);
  rejectsWith('{"maxGit": 0}', /maxGit: must be a positive integer/);
  rejectsWith('{"zipCacheMiB": 1.5}', /zipCacheMiB: must be a positive integer/);
  rejectsWith('{"zipSpoolMiB": 0}', /zipSpoolMiB: must be a positive integer/);
  rejectsWith('{"zipStreamsPerClient": "4"}', /zipStreamsPerClient: must be a positive integer/);
  rejectsWith('{"listen": "8080"}', /listen: must be HOST:PORT/);
  rejectsWith('{"trustedProxies": "127.0.0.1"}', /trustedProxies: must be an array/);
  rejectsWith('{"trustedProxies": ["proxy.local"]}', /trustedProxies\[0\]: must be an IP address or a CIDR range/);
  rejectsWith('[1]', /must be a JSON object/);
  rejectsWith('{oops', /config: .*config\.json: /);
  assert.throws(() => resolveOptions({ compression: 'max' as never }), /compression: must be one of/);
});

test('tokens and visibility: the safe default, and one-line errors', () => {
  assert.equal(resolveOptions().defaultVisibility, 'local');
  assert.deepEqual(resolveOptions().tokens, []);
  const sha256 = 'a'.repeat(64);
  withConfigFile(
    JSON.stringify({
      defaultVisibility: 'private',
      tokens: [{ name: 'ci', sha256, grants: ['group/**'], expires: '2030-01-01' }],
    }),
    (file) => {
      assert.equal(loadConfigFile(file).tokens?.[0].name, 'ci');
    },
  );
  const token = (fields: Record<string, unknown>) =>
    JSON.stringify({ tokens: [{ name: 'ci', sha256, grants: ['g/*'], ...fields }] });
  rejectsWith(token({ sha256: 'A'.repeat(64) }), /tokens\[0\]\.sha256: must be 64 lower-case hex digits/);
  rejectsWith(token({ secret: 'x' }), /tokens\[0\]\.secret: unknown key/);
  rejectsWith(token({ name: 'a b' }), /tokens\[0\]\.name: must be a name/);
  rejectsWith(token({ grants: ['g/../x'] }), /tokens\[0\]\.grants\[0\]: must not have/);
  rejectsWith(token({ expires: '2030-02-30' }), /tokens\[0\]\.expires: must be a date/);
  rejectsWith(JSON.stringify({ tokens: [{ name: 'ci', grants: [] }] }), /tokens\[0\]\.sha256: is required/);
  rejectsWith(
    JSON.stringify({ tokens: [{ name: 'ci', sha256, grants: [] }, { name: 'ci', sha256, grants: [] }] }),
    /tokens\[1\]\.name: duplicate name "ci"/,
  );
});

test('groups: numeric ids for group paths, unique, one-line errors', () => {
  assert.deepEqual(resolveOptions().groups, []);
  assert.deepEqual(resolveOptions({ groups: [{ path: 'acme/platform', id: 12 }] }).groups, [{
    path: 'acme/platform',
    id: 12,
  }]);
  rejectsWith('{"groups": [{"path": "acme"}]}', /^config: groups\[0\]\.id: is required$/);
  rejectsWith('{"groups": [{"path": "acme", "id": 0}]}', /groups\[0\]\.id: must be a positive integer/);
  rejectsWith('{"groups": [{"path": "../acme", "id": 1}]}', /groups\[0\]\.path/);
  rejectsWith('{"groups": [{"path": "a", "id": 1, "name": "A"}]}', /groups\[0\]\.name: unknown key/);
  rejectsWith(
    '{"groups": [{"path": "a", "id": 1}, {"path": "b", "id": 1}]}',
    /^config: groups\[1\]\.id: duplicate id 1$/,
  );
});

test('what a reload cannot apply: the options of a new handler, and the server-only settings', () => {
  const before = resolveOptions({ repos: '/srv/git' });
  const live = resolveOptions({
    repos: '/srv/git',
    tokens: [{ name: 'ci', sha256: 'a'.repeat(64), grants: ['**'] }],
    groups: [{ path: 'g', id: 1 }],
    defaultVisibility: 'public',
    moduleHost: 'x.example',
    logLevel: 'warn',
    projects: [{ path: 'a' }],
  });
  assert.deepEqual(restartOptionsChanged(before, live), []);
  const fixed = resolveOptions({ repos: '/elsewhere', dataDir: '/data', maxGit: 2, basePath: '/goproxy' });
  assert.deepEqual(restartOptionsChanged(before, fixed), ['repos', 'maxGit', 'dataDir', 'basePath']);
  assert.deepEqual(
    serverSettingsChanged({ listen: '127.0.0.1:1', maxGit: 1 }, { listen: '127.0.0.1:2', workers: 2, maxGit: 2 }),
    ['listen', 'workers'],
  );
  assert.deepEqual(serverSettingsChanged({ idleTimeout: 5 }, { idleTimeout: 5 }), []);
});

test('parseListen', () => {
  assert.deepEqual(parseListen('127.0.0.1:8080'), { host: '127.0.0.1', port: 8080 });
  assert.deepEqual(parseListen('[::1]:0'), { host: '::1', port: 0 });
  assert.equal(parseListen('host:99999'), undefined);
  assert.equal(parseListen('host'), undefined);
});

test('mirrors: remotes without credentials in them, one secret per entry, paths and ids unique with projects', () => {
  const secret = 'hunter2-and-more';
  const mirror = (more: Record<string, unknown>) =>
    JSON.stringify({ mirrors: [{ url: 'https://git.example.com/acme/lib.git', path: 'acme/lib', ...more }] });
  withConfigFile(
    JSON.stringify({
      mirrors: [{
        url: 'git@git.example.com:acme/lib.git',
        path: 'acme/lib',
        id: 3,
        visibility: 'public',
        credentials: { sshKeyFile: 'keys/id' },
        fetchInterval: 60,
      }],
      credentials: [{ urlPrefix: 'https://git.example.com/', username: 'bot', passwordFile: 'token' }],
      fetchTimeout: 30,
      maxFetches: 2,
      webhookSecret: 'sixteen chars at least',
    }),
    (file) => {
      const config = loadConfigFile(file);
      assert.equal(config.mirrors?.[0]?.credentials?.sshKeyFile, join(file, '..', 'keys/id'));
      assert.equal(config.credentials?.[0]?.passwordFile, join(file, '..', 'token'));
      const options = resolveOptions(config);
      assert.deepEqual([options.fetchInterval, options.fetchTimeout, options.maxFetches], [300, 30, 2]);
    },
  );
  withConfigFile(`{"mirrors":[{"url":"https://bot:${secret}@git.example.com/x.git","path":"x"}]}`, (file) => {
    assert.throws(
      () => loadConfigFile(file),
      (e: unknown) =>
        e instanceof ConfigError && /mirrors\[0\]\.url: must not contain credentials/.test(e.message) &&
        !e.message.includes(secret),
    );
  });
  rejectsWith(mirror({ url: 'ext::sh -c id' }), /mirrors\[0\]\.url: must not contain spaces/);
  rejectsWith(mirror({ credentials: { username: 'bot' } }), /credentials: needs exactly one of password/);
  rejectsWith(mirror({ credentials: { password: 'x', sshKeyFile: '/k' } }), /needs exactly one/);
  rejectsWith(mirror({ credentials: { password: 'x' } }), /credentials\.username: is required with password/);
  rejectsWith(mirror({ credentials: { username: 'bot', token: 'x' } }), /credentials\.token: unknown key/);
  rejectsWith(mirror({ repo: '/srv/x.git' }), /mirrors\[0\]\.repo: unknown key/);
  rejectsWith(mirror({ modulePath: 'no-dot/lib' }), /mirrors\[0\]\.modulePath: /);
  rejectsWith(mirror({ path: '../x' }), /mirrors\[0\]\.path: must be a relative path/);
  rejectsWith(mirror({ fetchInterval: 0 }), /mirrors\[0\]\.fetchInterval: must be a positive integer/);
  rejectsWith(
    JSON.stringify({ projects: [{ path: 'acme/lib' }], mirrors: [{ url: 'git://h/x', path: 'acme/lib' }] }),
    /mirrors\[0\]\.path: duplicate path "acme\/lib"/,
  );
  rejectsWith(
    JSON.stringify({ projects: [{ path: 'a', id: 1 }], mirrors: [{ url: 'git://h/x', path: 'b', id: 1 }] }),
    /mirrors\[0\]\.id: duplicate id 1/,
  );
  rejectsWith(
    JSON.stringify({ mirrors: [{ url: 'git://h/x', path: 'b' }, { url: 'git://h/y', path: 'b' }] }),
    /mirrors\[1\]\.path: duplicate path "b"/,
  );
  rejectsWith(
    JSON.stringify({ credentials: [{ username: 'bot', password: 'x' }] }),
    /credentials\[0\]\.urlPrefix: is required/,
  );
  rejectsWith(JSON.stringify({ webhookSecret: 'short' }), /webhookSecret: must be a string of at least 16 characters/);
});
