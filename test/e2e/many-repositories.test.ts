/**
 * Requests over 300 repositories (issue 15, part 6): the long-lived `cat-file` helpers stay within
 * `maxObjectReaders` (default 32) and `/metrics` shows them; and a server out of file descriptors
 * answers 503 with `Retry-After`, never a 404, 410 or 500 that would tell the go command a module
 * does not exist.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { liveChildCount } from '../../lib/git/children.ts';
import { startCliServer } from '../support/cli-server.ts';
import { createRepo } from '../support/git-fixture.ts';
import { fetchOnce } from '../support/http-fetch.ts';
import { startProxy } from '../support/proxy-server.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';

const REPOSITORIES = 300;
const DEFAULT_BOUND = 32;

describe('300 repositories', () => {
  let root: string;
  let repos: string;
  const infoPath = (i: number) => `/go.localhost/group/r${i}/@v/v1.0.0.info`;

  before(async () => {
    root = await makeTempDir('many-repos');
    repos = join(root, 'repos');
    const first = await createRepo(repos, 'group/r0');
    await first.commit({ 'a.go': 'package a\n' }, { date: '2024-01-01T00:00:00Z' });
    await first.tag('v1.0.0');
    for (let i = 1; i < REPOSITORIES; i++) cpSync(first.gitDir, join(repos, `group/r${i}.git`), { recursive: true });
  });

  after(async () => {
    if (root !== undefined) await removeDir(root);
  });

  test('at most maxObjectReaders cat-file children, all answers right, the bound in /metrics', async () => {
    const proxy = await startProxy({ repos, defaultVisibility: 'public', dataDir: join(root, 'data') });
    try {
      const baseline = liveChildCount();
      let most = 0;
      const next = { i: 0 };
      const client = async () => {
        for (let i = next.i++; i < REPOSITORIES; i = next.i++) {
          const answer = await fetchOnce(`${proxy.url}${infoPath(i)}`);
          assert.equal(answer.status, 200, `${infoPath(i)}: ${answer.body.toString()}`);
          most = Math.max(most, liveChildCount() - baseline);
        }
      };
      await Promise.all(Array.from({ length: 16 }, client));
      assert.ok(most <= DEFAULT_BOUND, `${most} git children at once`);
      const metrics = (await fetchOnce(`${proxy.url}/metrics`)).body.toString();
      assert.match(metrics, new RegExp(`^git_goproxy_object_readers_max ${DEFAULT_BOUND}$`, 'm'));
      const live = Number(/^git_goproxy_object_readers (\d+)$/m.exec(metrics)?.[1]);
      assert.ok(live > 0 && live <= DEFAULT_BOUND, `${live} helpers live`);
      assert.ok(
        Number(/^git_goproxy_object_reader_evictions_total (\d+)$/m.exec(metrics)?.[1]) >= REPOSITORIES - DEFAULT_BOUND,
      );
    } finally {
      await proxy.close();
    }
  });

  test('out of file descriptors: 503 with Retry-After, never a false 404, 410 or 500', async () => {
    const config = join(root, 'unbounded.json');
    writeFileSync(
      config,
      JSON.stringify({
        repos,
        defaultVisibility: 'public',
        dataDir: join(root, 'data-fd'),
        maxObjectReaders: 1000,
        logLevel: 'silent',
      }),
    );
    const server = await startCliServer(['--config', config]);
    try {
      // Room for about ten more helpers (three descriptors each) than the started server holds.
      const pid = String(server.child.pid);
      const open = readdirSync(`/proc/${pid}/fd`).length;
      execFileSync('prlimit', ['--pid', pid, `--nofile=${open + 30}:${open + 30}`]);
      const statuses = new Map<number, number>();
      for (let i = 0; i < 60; i++) {
        const answer = await fetchOnce(`${server.url}${infoPath(i)}`);
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        if (answer.status === 503) assert.equal(answer.headers['retry-after'], '1');
        else assert.equal(answer.status, 200, `${infoPath(i)}: ${answer.status} ${answer.body.toString()}`);
      }
      assert.ok((statuses.get(503) ?? 0) > 0, `the limit was reached: ${JSON.stringify([...statuses])}`);
    } finally {
      await server.stop();
    }
  });
});
