import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { ObjectReader } from '../../lib/git/objects.ts';
import { parsePackedRefs, RefStore } from '../../lib/git/refs.ts';
import { TestRepo } from '../support/git-repo.ts';

let repo: TestRepo;
let objects: ObjectReader;
let first: string;
let second: string;

beforeEach(() => {
  repo = TestRepo.create();
  first = repo.commit('first', { 'a.txt': 'a\n' });
  second = repo.commit('second', { 'a.txt': 'b\n' });
  objects = new ObjectReader(repo.gitDir);
});

afterEach(async () => {
  await objects.close();
  repo.remove();
});

/** Moves the mtimes of HEAD, packed-refs and all ref directories an hour back, out of the racy window. */
function settleRefFiles(): void {
  const past = new Date(Date.now() - 3600_000);
  const touch = (path: string): void => {
    const stats = statSync(path, { throwIfNoEntry: false });
    if (!stats) return;
    if (stats.isDirectory()) for (const name of readdirSync(path)) touch(join(path, name));
    utimesSync(path, past, past);
  };
  touch(join(repo.gitDir, 'HEAD'));
  touch(join(repo.gitDir, 'packed-refs'));
  touch(join(repo.gitDir, 'refs'));
}

test('reads branches, loose and nested tags, annotated tags peeled, and HEAD', async () => {
  repo.git('tag', 'v1.0.0', first);
  repo.git('tag', '-a', '-m', 'annotated', 'sub/v1.0.1', second);
  repo.git('tag', '-a', '-m', 'tag of a tag', 'outer', 'sub/v1.0.1');
  repo.git('branch', 'feature', first);
  const refs = await new RefStore(repo.gitDir, objects).read();
  assert.equal(refs.head, 'refs/heads/main');
  assert.equal(refs.headCommit, second);
  assert.deepEqual([...refs.branches].sort(), [['feature', first], ['main', second]]);
  assert.deepEqual([...refs.tags].sort(), [['outer', second], ['sub/v1.0.1', second], ['v1.0.0', first]]);
});

test('reads packed refs, with loose refs overriding packed ones', async () => {
  repo.git('tag', '-a', '-m', 'annotated', 'v1.0.0', first);
  repo.git('tag', 'v1.1.0', second);
  repo.git('pack-refs', '--all');
  assert.equal(readdirSync(join(repo.gitDir, 'refs/tags')).length, 0);
  repo.git('tag', '-f', 'v1.1.0', first);
  const refs = await new RefStore(repo.gitDir, objects).read();
  assert.equal(refs.tags.get('v1.0.0'), first);
  assert.equal(refs.tags.get('v1.1.0'), first);
  assert.equal(refs.branches.get('main'), second);
  assert.equal(refs.headCommit, second);
});

test('tags of trees and blobs are left out', async () => {
  const tree = repo.git('rev-parse', `${second}^{tree}`);
  const blob = repo.git('rev-parse', `${second}:a.txt`);
  repo.git('tag', 'tree-tag', tree);
  repo.git('tag', '-a', '-m', 'blob', 'blob-tag', blob);
  repo.git('tag', 'v1.0.0', first);
  const refs = await new RefStore(repo.gitDir, objects).read();
  assert.deepEqual([...refs.tags.keys()], ['v1.0.0']);
});

test('detached and unborn HEADs', async () => {
  repo.git('update-ref', '--no-deref', 'HEAD', first);
  const detached = await new RefStore(repo.gitDir, objects).read();
  assert.equal(detached.head, undefined);
  assert.equal(detached.headCommit, first);
  repo.git('symbolic-ref', 'HEAD', 'refs/heads/unborn');
  const unborn = await new RefStore(repo.gitDir, objects).read();
  assert.equal(unborn.head, 'refs/heads/unborn');
  assert.equal(unborn.headCommit, undefined);
});

test('symbolic refs under refs/heads resolve to their target', async () => {
  repo.git('symbolic-ref', 'refs/heads/alias', 'refs/heads/main');
  const refs = await new RefStore(repo.gitDir, objects).read();
  assert.equal(refs.branches.get('alias'), second);
});

test('a settled snapshot is reused until a ref changes, then re-read', async () => {
  repo.git('tag', 'v1.0.0', first);
  repo.git('tag', 'sub/v1.0.0', first);
  settleRefFiles();
  const store = new RefStore(repo.gitDir, objects);
  const before = await store.read();
  assert.equal(await store.read(), before, 'unchanged files give the cached snapshot');

  repo.git('tag', '-f', 'sub/v1.0.0', second);
  const afterNested = await store.read();
  assert.notEqual(afterNested, before);
  assert.equal(afterNested.tags.get('sub/v1.0.0'), second);

  settleRefFiles();
  const settled = await store.read();
  repo.git('pack-refs', '--all');
  repo.git('update-ref', 'refs/heads/main', first);
  const afterPack = await store.read();
  assert.notEqual(afterPack, settled);
  assert.equal(afterPack.branches.get('main'), first);
  assert.equal(afterPack.tags.get('sub/v1.0.0'), second);
});

test('a snapshot taken right after a change is not reused', async () => {
  const store = new RefStore(repo.gitDir, objects);
  const fresh = await store.read();
  assert.notEqual(await store.read(), fresh, 'ref files younger than the racy window are re-read');
});

test('concurrent reads share one refresh', async () => {
  repo.git('tag', 'v1.0.0', first);
  const store = new RefStore(repo.gitDir, objects);
  const [a, b] = await Promise.all([store.read(), store.read()]);
  assert.equal(a, b);
});

test('a repository with no refs at all', async () => {
  const empty = TestRepo.create();
  const emptyObjects = new ObjectReader(empty.gitDir);
  try {
    const refs = await new RefStore(empty.gitDir, emptyObjects).read();
    assert.equal(refs.head, 'refs/heads/main');
    assert.equal(refs.headCommit, undefined);
    assert.equal(refs.tags.size, 0);
    assert.equal(refs.branches.size, 0);
  } finally {
    await emptyObjects.close();
    empty.remove();
  }
});

test('a branch being packed (git pack-refs) while the refs are read is never missing', async () => {
  const missed: number[] = [];
  for (let round = 0; round < 60; round++) {
    repo.git('update-ref', `refs/heads/b${round}`, round % 2 === 0 ? first : second);
    const packing = new Promise<void>((resolve) => {
      execFile('git', [`--git-dir=${repo.gitDir}`, 'pack-refs', '--all'], () => resolve());
    });
    // Several fresh reads spread over the packing: each must see the branch, loose or packed.
    for (let read = 0; read < 5; read++) {
      const refs = await new RefStore(repo.gitDir, objects).read();
      if (!refs.branches.has(`b${round}`)) missed.push(round);
    }
    await packing;
  }
  assert.deepEqual(missed, []);
});

test('a repository removed after its refs were read is "not found", not an empty repository', async () => {
  repo.git('tag', 'v1.0.0', first);
  const store = new RefStore(repo.gitDir, objects);
  assert.equal((await store.read()).tags.get('v1.0.0'), first);
  repo.remove();
  await assert.rejects(store.read(), { name: 'ProxyError', kind: 'not-found', message: 'not found: the repository of this module no longer exists' });
});

test('parsePackedRefs skips the header, peeled lines and garbage', () => {
  const a = 'a'.repeat(40);
  const b = 'b'.repeat(40);
  const text = `# pack-refs with: peeled fully-peeled sorted \n${a} refs/tags/v1\n^${b}\nnot a line\n${b} refs/heads/main\n`;
  assert.deepEqual([...parsePackedRefs(text)], [['refs/tags/v1', a], ['refs/heads/main', b]]);
});
