/**
 * Pins survive a crash: the server (a child process, `node lib/server.ts`) is killed with SIGKILL in
 * the middle of a burst of first-time zip downloads; after a restart every response that completed
 * is pinned with the `h1:` of the bytes the client got, the record loads, and `pins` / `pins verify`
 * report on it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FilePinStore, PINS_FILE } from '../../lib/pins/file-store.ts';
import { type CliServer, runCli, startCliServer } from '../support/cli-server.ts';
import { createRepo } from '../support/git-fixture.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';
import { zipHash } from '../support/zip-hash.ts';

const PROJECT = 'group/burst';
const MODULE = `go.localhost/${PROJECT}`;
const VERSIONS = Array.from({ length: 16 }, (_, i) => `v1.0.${i}`);
describe('pins: crash safety', () => {
  let root: string;
  const servers: CliServer[] = [];
  const startServer = async () => {
    const server = await startCliServer(['--repos', root]);
    servers.push(server);
    return server;
  };

  before(async () => {
    root = await makeTempDir('pins-crash');
    const repo = await createRepo(root, 'group/burst');
    for (const [i, version] of VERSIONS.entries()) {
      // Incompressible content, so each zip takes git a moment and the burst overlaps.
      await repo.commit({
        'go.mod': `module ${MODULE}\n`,
        'blob.bin': randomBytes(512 * 1024),
        'p.go': `package p\n\nconst N = ${i}\n`,
      }, { date: new Date(Date.UTC(2024, 0, 1 + i)) });
      await repo.tag(version);
    }
  });

  after(async () => {
    await Promise.all(servers.map((server) => server.stop('SIGKILL')));
    await removeDir(root);
  });

  test('every response completed before SIGKILL is pinned with the hash of what the client got', async () => {
    const server = await startServer();
    const completed = new Map<string, Uint8Array>();
    const downloads = VERSIONS.map(async (version) => {
      const response = await fetch(`${server.url}/${MODULE}/@v/${version}.zip`);
      const body = new Uint8Array(await response.arrayBuffer());
      assert.equal(response.status, 200);
      completed.set(version, body);
      server.child.kill('SIGKILL');
    });
    const results = await Promise.allSettled(downloads);
    assert.equal((await server.stop()).signal, 'SIGKILL');
    assert.ok(completed.size >= 1);
    assert.ok(results.some((result) => result.status === 'rejected'), 'the kill should interrupt some downloads');

    const store = FilePinStore.open(join(root, '.git-goproxy'));
    for (const [version, zip] of completed) {
      assert.equal((await store.get(PROJECT, MODULE, version))?.zip, zipHash(zip), version);
    }
    await store.close();

    const restarted = await startServer();
    const [version, zip] = [...completed][0]!;
    const again = new Uint8Array(await (await fetch(`${restarted.url}/${MODULE}/@v/${version}.zip`)).arrayBuffer());
    assert.deepEqual(again, zip);
    await restarted.stop();
  });

  test('pins lists the record; pins verify passes, then reports a pin that git no longer reproduces', async () => {
    const listed = await runCli(['pins', '--repos', root]);
    assert.equal(listed.exitCode, 0, listed.stderr);
    const lines = listed.stdout.trim().split('\n');
    assert.ok(lines.length >= 1);
    assert.match(
      lines[0]!,
      new RegExp(`^${MODULE} v1\\.0\\.\\d+ [0-9a-f]{40} 2024-01-\\d\\dT00:00:00Z h1:\\S+ h1:\\S+ ${PROJECT}$`),
    );

    const verified = await runCli(['pins', 'verify', '--repos', root]);
    assert.equal(verified.exitCode, 0, verified.stdout + verified.stderr);
    assert.equal(verified.stdout, `pins verify: ${lines.length} pinned, ${lines.length} match, 0 do not\n`);

    const file = join(root, '.git-goproxy', PINS_FILE);
    const [first, ...rest] = readFileSync(file, 'utf8').split('\n');
    const forged = { ...JSON.parse(first!), zip: `h1:${'A'.repeat(43)}=` };
    writeFileSync(file, [JSON.stringify(forged), ...rest].join('\n'));
    const failed = await runCli(['pins', 'verify', '--repos', root]);
    assert.equal(failed.exitCode, 1);
    assert.match(failed.stdout, new RegExp(`^${MODULE}@${forged.version}: zip is h1:\\S+, pinned h1:A+=\n`));
    assert.match(failed.stdout, /, 1 does not\n$/);
  });
});
