/**
 * A file system that stops answering makes bounded 503s and a failing health check, never requests
 * that hang: four repositories whose `packed-refs` is a FIFO no one writes (a read of it blocks in
 * libuv's thread pool, as a read on a hung NFS mount does, and four of them take every thread) make
 * every module request a 503 after `--answer-deadline`, and `/-/health` a 503 while that work is
 * stuck; once the reads return, the server answers again and is healthy. The server runs as a
 * process of its own (its thread pool is the one the FIFOs take).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, constants, openSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type CliServer, startCliServer } from '../support/cli-server.ts';
import { createRepo } from '../support/git-fixture.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';
import { within } from '../support/wait.ts';

const HOST = 'go.localhost';
const HUNG = ['grp/a', 'grp/b', 'grp/c', 'grp/d'];

describe('answers have a deadline', () => {
  let root: string;
  let server: CliServer;
  const fifos: string[] = [];

  before(async () => {
    root = await makeTempDir('deadlines');
    for (const name of [...HUNG, 'grp/ok']) {
      const repo = await createRepo(join(root, 'repos'), name);
      await repo.commit({ 'go.mod': `module ${HOST}/${name}\n`, 'a.go': 'package a\n' }, {
        date: '2024-01-02T03:04:05Z',
      });
      await repo.tag('v1.0.0');
    }
    server = await startCliServer([
      '--repos',
      join(root, 'repos'),
      '--data',
      join(root, 'data'),
      '--answer-deadline',
      '1',
      '--module-host',
      HOST,
    ]);
    assert.equal((await fetch(`${server.url}/${HOST}/grp/ok/@v/list`)).status, 200);
    for (const name of HUNG) {
      const fifo = join(root, 'repos', `${name}.git`, 'packed-refs');
      rmSync(fifo, { force: true });
      assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
      fifos.push(fifo);
    }
  });

  after(async () => {
    release();
    await server?.stop();
    if (root !== undefined) await removeDir(root);
  });

  /** Opens each FIFO for writing and closes it: a reader blocked on it reads an empty file. */
  const release = () => {
    for (const fifo of fifos.splice(0)) {
      try {
        closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
      } catch {
        // No reader is waiting on it.
      }
      rmSync(fifo, { force: true });
    }
  };

  test('reads that never return make 503s after the deadline and an unhealthy /-/health, until they return', async () => {
    const hung = await Promise.all(
      HUNG.map(async (name) => {
        const started = performance.now();
        const response = await fetch(`${server.url}/${HOST}/${name}/@v/list`);
        return {
          status: response.status,
          retryAfter: response.headers.get('retry-after'),
          ms: performance.now() - started,
          body: await response.text(),
        };
      }),
    );
    for (const answer of hung) {
      assert.equal(answer.status, 503, answer.body);
      assert.equal(answer.retryAfter, '1');
      assert.match(
        answer.body,
        /^unavailable: the answer took longer than 1 s \(the file system or git is not answering\)/,
      );
      assert.ok(answer.ms >= 900 && answer.ms < 5000, `${answer.ms} ms`);
    }
    // Every thread of the pool now waits on a FIFO: the healthy repository waits too, and is a 503 as well.
    assert.equal((await fetch(`${server.url}/${HOST}/grp/ok/@v/list`)).status, 503);
    const health = await fetch(`${server.url}/-/health`);
    assert.equal(health.status, 503);
    assert.match(
      await health.text(),
      /^unhealthy: \d+ answers passed their deadline and still wait for the file system or git/,
    );
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /^git_goproxy_answers_past_deadline_total 5$/m);
    assert.match(metrics, /^git_goproxy_answers_overdue [1-5]$/m);

    release();
    await within(
      10_000,
      async () => (await fetch(`${server.url}/-/health`)).status === 200,
      'health once the reads returned',
    );
    for (const name of [...HUNG, 'grp/ok']) {
      const list = await fetch(`${server.url}/${HOST}/${name}/@v/list`);
      assert.equal(list.status, 200, name);
    }
  });
});
