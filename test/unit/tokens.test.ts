/**
 * The `token` operator command (lib/cli/token-command.ts): create prints a secret once and stores
 * only its hash, keeping the rest of the config file and its permissions; list and revoke; usage
 * errors; and the command run through `node lib/server.ts token …`.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { TokenStore } from '../../lib/access/auth.ts';
import { loadConfigFile } from '../../lib/cli/config.ts';
import { runTokenCommand } from '../../lib/cli/token-command.ts';
import { PROJECT_ROOT, SERVER_ARGS } from '../support/project.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';

let dir: string;
let counter = 0;
before(async () => {
  dir = await makeTempDir('tokens');
});
after(() => removeDir(dir));

const NOW = Date.parse('2024-06-01T00:00:00Z');

/** Runs the command with a captured stdout/stderr. */
function run(args: string[], env: Record<string, string> = {}): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const code = runTokenCommand(args, { out: (t) => (out += t), err: (t) => (err += t), env, now: () => NOW });
  return { code, out, err };
}

const freshFile = () => join(dir, `config-${++counter}.json`);

test('create makes the file, prints the secret once and stores only its hash', () => {
  const file = freshFile();
  const { code, out, err } = run([
    'create',
    '--config',
    file,
    '--name',
    'ci',
    '--grant',
    'group/*',
    '--grant',
    'tools/app',
    '--expires',
    '2030-01-01',
  ]);
  assert.equal(code, 0, err);
  const secret = out.trim();
  assert.match(secret, /^ggp_[A-Za-z0-9_-]{43}$/);
  assert.match(err, /shown only now/);
  const text = readFileSync(file, 'utf8');
  assert.ok(!text.includes(secret));
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const config = loadConfigFile(file);
  assert.deepEqual(config.tokens?.map(({ sha256: _, ...rest }) => rest), [{
    name: 'ci',
    grants: ['group/*', 'tools/app'],
    expires: '2030-01-01',
  }]);
  const caller = new TokenStore(config.tokens ?? [], () => NOW).authenticate({
    headers: { authorization: `Bearer ${secret}` },
    remoteAddress: '10.0.0.1',
  }).caller;
  assert.equal(caller.tokenName, 'ci');
});

test('each secret is new', () => {
  const file = freshFile();
  const first = run(['create', '--config', file, '--name', 'a', '--grant', '**']).out;
  const second = run(['create', '--config', file, '--name', 'b', '--grant', '**']).out;
  assert.notEqual(first, second);
});

test('create keeps the other keys and the file permissions; GIT_GOPROXY_CONFIG names the file', () => {
  const file = freshFile();
  writeFileSync(
    file,
    JSON.stringify({
      repos: 'git',
      listen: '127.0.0.1:9000',
      projects: [{ path: 'group/app', visibility: 'private' }],
    }),
    { mode: 0o640 },
  );
  assert.equal(run(['create', '--name', 'ci', '--grant', 'group/app'], { GIT_GOPROXY_CONFIG: file }).code, 0);
  const raw = JSON.parse(readFileSync(file, 'utf8'));
  assert.equal(raw.repos, 'git');
  assert.equal(raw.listen, '127.0.0.1:9000');
  assert.deepEqual(raw.projects, [{ path: 'group/app', visibility: 'private' }]);
  assert.equal(raw.tokens.length, 1);
  assert.equal(statSync(file).mode & 0o777, 0o640);
});

test('create refuses bad input and leaves the file as it was', () => {
  const file = freshFile();
  run(['create', '--config', file, '--name', 'ci', '--grant', '**']);
  const before = readFileSync(file, 'utf8');
  const refusals: Array<[string[], RegExp]> = [
    [['--name', 'ci', '--grant', '**'], /tokens\[1\]\.name: duplicate name "ci"/],
    [['--name', 'x', '--grant', 'a/../b'], /grants\[0\]: must not have/],
    [['--name', 'x', '--grant', '**', '--expires', 'soon'], /expires: must be a date/],
    [['--name', 'x y', '--grant', '**'], /name: must be a name/],
    [['--grant', '**'], /--name is required/],
    [['--name', 'x'], /at least one --grant/],
    [['--name', 'x', '--grant', '**', 'extra'], /unexpected argument "extra"/],
  ];
  for (const [args, message] of refusals) {
    const { code, out, err } = run(['create', '--config', file, ...args]);
    assert.equal(code, 2, args.join(' '));
    assert.equal(out, '');
    assert.match(err, message);
  }
  assert.equal(readFileSync(file, 'utf8'), before);
});

test('list shows names, grants and expiry, never a hash', () => {
  const file = freshFile();
  run(['create', '--config', file, '--name', 'ci', '--grant', 'group/*', '--grant', 'x/**']);
  run(['create', '--config', file, '--name', 'old', '--grant', '**', '--expires', '2024-05-01']);
  run(['create', '--config', file, '--name', 'next', '--grant', '**', '--expires', '2024-07-01T00:00:00Z']);
  const { code, out } = run(['list', '--config', file]);
  assert.equal(code, 0);
  assert.equal(
    out,
    [
      'NAME  GRANTS        EXPIRES',
      'ci    group/*,x/**  never',
      'old   **            2024-05-01 (expired)',
      'next  **            2024-07-01T00:00:00Z',
      '',
    ].join('\n'),
  );
  assert.doesNotMatch(out, /[0-9a-f]{64}/);
});

test('revoke removes a token by name', () => {
  const file = freshFile();
  const secret = run(['create', '--config', file, '--name', 'ci', '--grant', '**']).out.trim();
  run(['create', '--config', file, '--name', 'keep', '--grant', '**']);
  const { code, err } = run(['revoke', '--config', file, 'ci']);
  assert.equal(code, 0);
  assert.match(err, /revoked "ci"; a running server on .* refuses it within a second/);
  const tokens = loadConfigFile(file).tokens ?? [];
  assert.deepEqual(tokens.map((t) => t.name), ['keep']);
  assert.equal(
    new TokenStore(tokens).authenticate({ headers: { 'private-token': secret }, remoteAddress: '10.0.0.1' }).caller
      .tokenName,
    undefined,
  );
});

test('revoke, list and usage errors', () => {
  const file = freshFile();
  run(['create', '--config', file, '--name', 'ci', '--grant', '**']);
  assert.match(run(['revoke', '--config', file, 'nope']).err, /no token named "nope"/);
  assert.match(run(['revoke', '--config', file]).err, /which token/);
  assert.equal(run(['list', '--config', join(dir, 'missing.json')]).code, 2);
  assert.match(run(['list']).err, /no config file/);
  assert.match(run(['rotate', '--config', file]).err, /unknown command "rotate"/);
  assert.match(run(['list', '--bogus']).err, /bogus/);
  assert.equal(run([]).code, 2);
  const help = run(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.out, /create --name NAME --grant GLOB/);
});

test('node lib/server.ts token … runs the command', async () => {
  const file = freshFile();
  const exec = promisify(execFile);
  const { stdout } = await exec(process.execPath, [
    ...SERVER_ARGS,
    'token',
    'create',
    '--config',
    file,
    '--name',
    'cli',
    '--grant',
    '**',
  ], { cwd: PROJECT_ROOT });
  assert.match(stdout, /^ggp_\S+\n$/);
  const failed = await exec(process.execPath, [
    ...SERVER_ARGS,
    'token',
    'revoke',
    '--config',
    file,
    'nope',
  ], { cwd: PROJECT_ROOT }).catch((error: { code: number; stderr: string }) => error);
  assert.equal((failed as { code: number }).code, 2);
});
