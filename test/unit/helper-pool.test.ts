import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { liveChildCount, waitForExit } from '../../lib/git/children.ts';
import { HelperPool } from '../../lib/git/helper-pool.ts';
import { ObjectReader, ObjectReaderClosedError } from '../../lib/git/objects.ts';
import { createTempRepo, type FixtureRepo } from '../support/git-fixture.ts';
import { removeDir } from '../support/temp.ts';

const REPOSITORIES = 40;
const BOUND = 4;

let repo: FixtureRepo;
let commit: string;
let gitDirs: string[];

// 40 copies of one small repository (test/e2e/many-repositories.test.ts goes through 300).
before(async () => {
  repo = await createTempRepo('helper-pool');
  commit = await repo.commit({ 'a.txt': 'a\n' }, { date: '2024-01-01T00:00:00Z', message: 'one' });
  gitDirs = Array.from({ length: REPOSITORIES }, (_, i) => {
    const gitDir = join(repo.root, `copy-${i}.git`);
    cpSync(repo.gitDir, gitDir, { recursive: true });
    return gitDir;
  });
});

after(() => removeDir(repo.root));

/** Runs `work`, sampling the live git children every millisecond; the most seen at once. */
async function mostChildrenDuring(work: () => Promise<void>): Promise<number> {
  const baseline = liveChildCount();
  let most = 0;
  const sample = () => (most = Math.max(most, liveChildCount() - baseline));
  const timer = setInterval(sample, 1);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  sample();
  return most;
}

test('40 repositories read at once, then one by one: at most the bound of cat-file children, every answer right', async () => {
  const pool = new HelperPool(BOUND);
  const readers = gitDirs.map((gitDir) => new ObjectReader(gitDir, { pool }));
  try {
    const readAll = async (): Promise<void> => {
      const answers = await Promise.all(readers.map((reader) => reader.readCommit(commit)));
      assert.ok(answers.every((answer) => answer?.oid === commit));
    };
    const readEach = async (): Promise<void> => {
      for (const reader of readers) assert.equal((await reader.readObjectInfo(commit))?.type, 'commit');
    };
    assert.ok((await mostChildrenDuring(readAll)) <= BOUND);
    assert.ok((await mostChildrenDuring(readEach)) <= BOUND);
    assert.ok(pool.live <= BOUND);
    assert.equal(pool.waiting, 0);
    assert.ok(pool.evictions >= REPOSITORIES, `${pool.evictions} helpers made room for others`);
  } finally {
    await Promise.all(readers.map((reader) => reader.close()));
  }
  assert.equal(pool.live, 0, 'closed readers leave no helper');
});

test('the least recently used idle helper makes room, and has exited before its place is taken', async () => {
  const pool = new HelperPool(2);
  const [first, second, third] = gitDirs.slice(0, 3).map((gitDir) => new ObjectReader(gitDir, { pool }));
  try {
    await first.readCommit(commit);
    await second.readCommit(commit);
    await first.readCommit(commit); // now second is the least recently used
    const secondChild = second.process;
    assert.ok(secondChild);
    await third.readCommit(commit);
    assert.equal(second.process, undefined);
    assert.notEqual(secondChild.exitCode ?? secondChild.signalCode, null);
    assert.ok(first.process !== undefined && third.process !== undefined);
    assert.equal(pool.evictions, 1);
  } finally {
    await Promise.all([first, second, third].map((reader) => reader.close()));
  }
});

test('an idle helper is closed after the timeout and starts again on demand', async () => {
  const pool = new HelperPool(2);
  const reader = new ObjectReader(gitDirs[0], { pool, idleMs: 50 });
  try {
    await reader.readCommit(commit);
    const child = reader.process;
    assert.ok(child);
    await waitForExit(child);
    assert.equal(pool.live, 0);
    assert.equal((await reader.readCommit(commit))?.oid, commit);
    assert.equal(pool.live, 1);
  } finally {
    await reader.close();
  }
});

test('a start that finds every helper busy waits for one to go idle', async () => {
  const pool = new HelperPool(1);
  const [busy, waiting] = gitDirs.slice(0, 2).map((gitDir) => new ObjectReader(gitDir, { pool }));
  try {
    const both = await Promise.all([busy.readCommit(commit), waiting.readCommit(commit), busy.readObjectInfo(commit)]);
    assert.deepEqual(both.map((answer) => answer?.oid), [commit, commit, commit]);
    assert.equal(pool.live, 1);
  } finally {
    await Promise.all([busy.close(), waiting.close()]);
  }
});

test('a reader closed while it waits for room gives its place back', async () => {
  const pool = new HelperPool(1);
  const [holder, closing, next] = gitDirs.slice(0, 3).map((gitDir) => new ObjectReader(gitDir, { pool }));
  try {
    await holder.readCommit(commit);
    const refused = closing.readCommit(commit);
    await closing.close();
    await assert.rejects(refused, ObjectReaderClosedError);
    assert.equal((await next.readCommit(commit))?.oid, commit, 'the place it was given went on');
    assert.equal(pool.live, 1);
  } finally {
    await Promise.all([holder.close(), next.close()]);
  }
});

test('a pool needs a positive bound', () => {
  assert.throws(() => new HelperPool(0), RangeError);
});
