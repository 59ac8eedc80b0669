/**
 * The operator commands with one config file that sets every key the server takes (`listen`,
 * `workers` and the timeouts included): the server runs with it, and `token`, `sum`, `pins` and
 * `pins verify` accept it too and agree with what the server pinned; server-only flags are taken
 * as well.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ServerConfig } from '../../lib/cli/config.ts';
import { runCli, startCliServer } from '../support/cli-server.ts';
import { createRepo } from '../support/git-fixture.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';

const HOST = 'git.example.com';
const MODULE = `${HOST}/group/app`;

describe('operator commands with a full server config', () => {
  let root: string;
  let config: string;

  before(async () => {
    root = await makeTempDir('operator');
    const repo = await createRepo(root, 'repos/group/app');
    await repo.commit({ 'go.mod': `module ${MODULE}\n\ngo 1.19\n`, 'app.go': 'package app\n' }, {
      date: '2024-01-02T03:04:05Z',
    });
    await repo.tag('v1.0.0');
    // Every key but `pins`: a PostgreSQL URL moves the record there (instances-postgres.test.ts runs the commands so).
    const full: Required<Omit<ServerConfig, 'pins'>> = {
      repos: 'repos',
      moduleHost: HOST,
      projects: [{ path: 'group/app', id: 7, visibility: 'private' }],
      groups: [{ path: 'group', id: 3 }],
      defaultVisibility: 'private',
      tokens: [],
      trustedProxies: ['127.0.0.1'],
      compression: 'fast',
      maxGit: 3,
      maxObjectReaders: 8,
      zipCacheMiB: 16,
      zipSpoolMiB: 64,
      zipStreamsPerClient: 4,
      dataDir: 'data',
      basePath: '/goproxy',
      logLevel: 'warn',
      maxNewPinsPerMinute: 100,
      answerDeadline: 20,
      rescanInterval: 60,
      mirrors: [],
      credentials: [{ urlPrefix: 'https://git.example.com/', username: 'bot', passwordFile: 'remote-password' }],
      fetchInterval: 60,
      fetchTimeout: 30,
      maxFetches: 2,
      webhookSecret: 'a webhook secret of some length',
      // An upstream that is never asked: the commands answer for local modules only.
      upstream: ['http://127.0.0.1:9'],
      private: 'corp.example.com',
      sumdbs: {},
      upstreamListSeconds: 30,
      upstreamCacheMiB: 64,
      upstreamAccess: 'authenticated',
      listen: '127.0.0.1:0',
      workers: 2,
      shutdownTimeout: 5,
      headersTimeout: 10,
      requestTimeout: 20,
      idleTimeout: 30,
    };
    config = join(root, 'config.json');
    writeFileSync(config, `${JSON.stringify(full, null, 2)}\n`);
  });

  after(async () => {
    await removeDir(root);
  });

  test('token, the server, sum, pins and pins verify all take it, and agree', async () => {
    const created = await runCli(['token', 'create', '--config', config, '--name', 'ops', '--grant', 'group/*']);
    assert.equal(created.exitCode, 0, created.stderr);
    const secret = created.stdout.trim().split('\n').at(-1)!.trim();
    const listed = await runCli(['token', 'list', '--config', config]);
    assert.equal(listed.exitCode, 0, listed.stderr);
    assert.match(listed.stdout, /^ops\s.*group\/\*/m);

    const server = await startCliServer(['--config', config]);
    try {
      const zip = await fetch(`${server.url}/${MODULE}/@v/v1.0.0.zip`, { headers: { 'private-token': secret } });
      assert.equal(zip.status, 200);
      await zip.arrayBuffer();
    } finally {
      await server.stop();
    }

    const pins = await runCli(['pins', '--config', config]);
    assert.equal(pins.exitCode, 0, pins.stderr);
    const [module, version, , , zipHash, modHash, project] = pins.stdout.trim().split(' ');
    assert.deepEqual([module, version, project], [MODULE, 'v1.0.0', 'group/app']);

    const summed = await runCli(['sum', '--config', config, `${MODULE}@v1.0.0`]);
    assert.equal(summed.exitCode, 0, summed.stderr);
    assert.equal(summed.stdout, `${MODULE} v1.0.0 ${zipHash}\n${MODULE} v1.0.0/go.mod ${modHash}\n`);

    const verified = await runCli(['pins', 'verify', '--config', config]);
    assert.equal(verified.exitCode, 0, verified.stdout + verified.stderr);
    assert.equal(verified.stdout, 'pins verify: 1 pinned, 1 match, 0 do not\n');
  });

  test('server-only flags are taken by sum and pins; bad operands are usage errors', async () => {
    const flags = [
      '--config',
      config,
      '--workers',
      '2',
      '--shutdown-timeout',
      '3',
      '--listen',
      '127.0.0.1:1',
      '--max-new-pins-per-minute',
      '5',
    ];
    const summed = await runCli(['sum', ...flags, `${MODULE}@v1.0.0`, `${MODULE}@v9.9.9`]);
    assert.equal(summed.exitCode, 1);
    assert.match(summed.stdout, new RegExp(`^${MODULE} v1\\.0\\.0 h1:`));
    assert.match(summed.stderr, /^git-goproxy: sum: not found: .*v9\.9\.9/m);
    const malformed = await runCli(['sum', ...flags, 'no-version']);
    assert.deepEqual([malformed.exitCode, malformed.stderr], [
      2,
      'git-goproxy: sum: "no-version" is not <module>@<version>\n',
    ]);
    const extra = await runCli(['pins', 'verify', 'now', ...flags]);
    assert.deepEqual([extra.exitCode, extra.stderr], [
      2,
      'git-goproxy: pins: unexpected "verify now": expected "pins", "pins verify", "pins export" or "pins import FILE"\n',
    ]);
    const badConfig = await runCli(['pins', '--config', join(root, 'missing.json')]);
    assert.equal(badConfig.exitCode, 2);
    assert.match(badConfig.stderr, /^git-goproxy: config: .*missing\.json: ENOENT/);
  });
});
