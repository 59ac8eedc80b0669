/**
 * The registry of git child processes (lib/git/children.ts): killing every child at shutdown,
 * long-lived `cat-file` readers included, closing readers without leaving a process, and SIGTERM
 * escalating to SIGKILL.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { killAllChildren, liveChildCount, terminate, waitForExit } from '../../lib/git/children.ts';
import { ObjectReader } from '../../lib/git/objects.ts';
import { RefStore } from '../../lib/git/refs.ts';
import { startGit } from '../../lib/git/run.ts';
import { createTempRepo, type FixtureRepo } from '../support/git-fixture.ts';
import { removeDir } from '../support/temp.ts';

let repo: FixtureRepo;
let commit: string;

before(async () => {
  repo = await createTempRepo('git-children');
  commit = await repo.commit({ 'a.txt': 'a\n' }, { date: '2023-01-02T03:04:05Z' });
  await repo.tag('v1.0.0');
});

after(() => removeDir(repo.root));

function isAlive(pid: number | undefined): boolean {
  try {
    process.kill(pid ?? -1, 0);
    return true;
  } catch {
    return false;
  }
}

test('killAllChildren ends every registered child, long-lived cat-file readers included', async () => {
  const readers = [new ObjectReader(repo.gitDir), new ObjectReader(repo.gitDir)];
  await Promise.all(readers.map((reader) => new RefStore(repo.gitDir, reader).read()));
  const waiting = startGit(repo.gitDir, ['cat-file', '--batch']);
  const pids = [...readers.map((reader) => reader.process?.pid), waiting.pid];
  assert.ok(pids.every(isAlive));
  assert.ok(liveChildCount() >= 3);
  await killAllChildren();
  assert.equal(liveChildCount(), 0);
  assert.ok(!pids.some(isAlive));
  // the readers start afresh when used again, and close cleanly
  assert.equal((await readers[0]?.readCommit(commit))?.oid, commit);
  await Promise.all(readers.map((reader) => reader.close()));
  assert.equal(liveChildCount(), 0);
});

test('closing readers leaves no git process behind', async () => {
  const reader = new ObjectReader(repo.gitDir);
  const refs = await new RefStore(repo.gitDir, reader).read();
  assert.equal(refs.tags.get('v1.0.0'), commit);
  const pid = reader.process?.pid;
  assert.ok(isAlive(pid));
  await reader.close();
  assert.equal(liveChildCount(), 0);
  assert.ok(!isAlive(pid));
});

test('terminate escalates to SIGKILL when SIGTERM is ignored', async () => {
  // git's own helpers exit on SIGTERM, so use a shell that ignores it to see the escalation
  const { spawn } = await import('node:child_process');
  const stubborn = spawn('sh', ['-c', 'trap "" TERM; echo ready; while :; do sleep 0.05; done'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  await new Promise((resolve) => stubborn.stdout.once('data', resolve));
  terminate(stubborn, 100);
  await waitForExit(stubborn);
  assert.equal(stubborn.signalCode, 'SIGKILL');
});
