/**
 * The command line as operators run it: under Node and under Deno (`deno run -A lib/server.ts`),
 * alone and with `--workers 2`, the go client downloads a module and gets the go.sum hashes the
 * handler serves in the test's own process;
 * every response leaves one JSON access-log line; SIGTERM drains and exits 0 with no git process
 * left behind.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { hashGoMod } from '../../lib/zip/hash.ts';
import { type CliServer, type Runtime, startCliServer } from '../support/cli-server.ts';
import { createRepo } from '../support/git-fixture.ts';
import { goModDownload } from '../support/go-client.ts';
import { fetchOnce } from '../support/http-fetch.ts';
import { startProxy } from '../support/proxy-server.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';
import { zipHash } from '../support/zip-hash.ts';

const MODULE = 'go.test/group/app';

/** Processes whose command line mentions `text` (git children started by a server on our temp dir). */
function processesMentioning(text: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^[0-9]+$/.test(name))) {
    try {
      const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (command.includes(text)) found.push(`${pid}: ${command}`);
    } catch {
      // The process exited while we looked.
    }
  }
  return found;
}

describe('the CLI under Node and Deno', () => {
  let root: string;
  const servers: CliServer[] = [];
  /** The module's `Sum` and `GoModSum`, from the handler in this process: every runtime must serve them. */
  let expected: { Sum: string; GoModSum: string };

  before(async () => {
    root = await makeTempDir('cli-runtimes');
    const repo = await createRepo(root, 'group/app');
    await repo.commit({ 'go.mod': `module ${MODULE}\n\ngo 1.19\n`, 'app.go': 'package app\n\nconst Name = "app"\n' }, {
      date: '2024-03-04T05:06:07Z',
    });
    await repo.tag('v1.2.3');
    const proxy = await startProxy({ repos: root, moduleHost: 'go.test', dataDir: join(root, '.in-process') });
    try {
      const base = `${proxy.url}/${MODULE}/@v/v1.2.3`;
      const [zip, mod] = await Promise.all([fetchOnce(`${base}.zip`), fetchOnce(`${base}.mod`)]);
      expected = { Sum: zipHash(zip.body), GoModSum: hashGoMod(mod.body) };
    } finally {
      await proxy.close();
    }
  });

  after(async () => {
    await Promise.all(servers.map((server) => server.stop('SIGKILL')));
    await removeDir(root);
  });

  const cases: Array<[name: string, runtime: Runtime, extra: string[]]> = [
    ['node', 'node', []],
    ['deno', 'deno', []],
    ['node --workers 2', 'node', ['--workers', '2']],
  ];
  for (const [name, runtime, extra] of cases) {
    test(`${name}: go mod download, access log, clean SIGTERM`, async () => {
      const server = await startCliServer(['--repos', root, '--module-host', 'go.test', ...extra], runtime);
      servers.push(server);
      const download = await goModDownload(`${MODULE}@v1.2.3`, { proxy: server.url });
      assert.equal(download.json?.Error, undefined, download.stderr);
      assert.deepEqual({ Sum: download.json?.Sum, GoModSum: download.json?.GoModSum }, expected);

      const requests = server.logLines().filter((line) => line.msg === 'request');
      const zip = requests.find((line) => typeof line.path === 'string' && line.path.endsWith('.zip'));
      assert.ok(zip, JSON.stringify(requests));
      assert.equal(zip.status, 200);
      assert.equal(zip.project, 'group/app');
      assert.equal(zip.module, MODULE);
      assert.equal(zip.version, 'v1.2.3');
      assert.equal(zip.client, '127.0.0.1');
      assert.ok(typeof zip.bytes === 'number' && zip.bytes > 100);
      assert.ok(typeof zip.ms === 'number');
      assert.ok(!Number.isNaN(Date.parse(String(zip.time))));

      const ended = await server.stop('SIGTERM');
      assert.deepEqual(ended, { code: 0, signal: null }, JSON.stringify(server.logLines()));
      assert.ok(server.logLines().some((line) => line.msg === 'shutting down'));
      assert.deepEqual(processesMentioning(root), []);
    });
  }

  test('--max-git (or GIT_GOPROXY_MAX_GIT) sets the git slots that /metrics reports', async () => {
    for (const [args, env, slots] of [[['--max-git', '3'], {}, 3], [[], { GIT_GOPROXY_MAX_GIT: '5' }, 5]] as const) {
      const server = await startCliServer(['--repos', root, ...args], 'node', env);
      try {
        const metrics = await (await fetch(`${server.url}/metrics`)).text();
        assert.match(metrics, new RegExp(`^git_goproxy_git_slots ${slots}$`, 'm'));
      } finally {
        await server.stop();
      }
    }
  });

  test('--zip-spool-mib and --zip-streams-per-client (or their variables) set the bounds that /metrics reports', async () => {
    const server = await startCliServer(['--repos', root, '--zip-spool-mib', '7'], 'node', {
      GIT_GOPROXY_ZIP_STREAMS_PER_CLIENT: '5',
    });
    try {
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      assert.match(metrics, new RegExp(`^git_goproxy_zip_spool_max_bytes ${7 * 2 ** 20}$`, 'm'));
      assert.match(metrics, /^git_goproxy_zip_streams_per_client 5$/m);
    } finally {
      await server.stop();
    }
  });

  test('bad flags stop start-up with a one-line reason', async () => {
    await assert.rejects(
      startCliServer(['--repos', root, '--workers', 'many']),
      /--workers: must be a positive integer/,
    );
    await assert.rejects(startCliServer(['--repos', root, '--max-git', '0']), /--max-git: must be a positive integer/);
    await assert.rejects(
      startCliServer(['--repos', root, '--zip-spool-mib', '0']),
      /--zip-spool-mib: must be a positive integer/,
    );
    await assert.rejects(startCliServer(['--repos', root, '--log-level', 'loud']), /config: logLevel: must be one of/);
    await assert.rejects(
      startCliServer(['--repos', root, '--base-path', 'goproxy/']),
      /config: basePath: must start with "\/"/,
    );
  });
});
