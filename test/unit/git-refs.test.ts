/**
 * Reading a repository's refs (lib/git/refs.ts): loose, packed and nested refs, annotated tags
 * peeled, HEAD detached or unborn, symbolic refs, tags of trees and blobs left out; the snapshot
 * cache and its racy window; packing while reading; a removed repository.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, utimesSync } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { ObjectReader } from '../../lib/git/objects.ts';
import { parsePackedRefs, RefStore } from '../../lib/git/refs.ts';
import { createTempRepo, type FixtureRepo } from '../support/git-fixture.ts';
import { removeDir } from '../support/temp.ts';

let repo: FixtureRepo;
let objects: ObjectReader;
let first: string;
let second: string;

beforeEach(async () => {
  repo = await createTempRepo('git-refs');
  first = await repo.commit({ 'a.txt': 'a\n' }, { date: '2023-01-02T03:04:05Z', message: 'first' });
  second = await repo.commit({ 'a.txt': 'b\n' }, { date: '2023-01-02T03:05:05Z', message: 'second' });
  objects = new ObjectReader(repo.gitDir);
});

afterEach(async () => {
  await objects.close();
  await removeDir(repo.root);
});

/** Moves the mtimes of HEAD, packed-refs and all ref directories an hour back, out of the racy window. */
function settleRefFiles(): void {
  const past = new Date(Date.now() - 3600_000);
  const touch = (path: string): void => {
    const stats = statSync(path, { throwIfNoEntry: false });
    if (!stats) return;
    if (stats.isDirectory()) { for (const name of readdirSync(path)) touch(join(path, name)); }
    utimesSync(path, past, past);
  };
  touch(join(repo.gitDir, 'HEAD'));
  touch(join(repo.gitDir, 'packed-refs'));
  touch(join(repo.gitDir, 'refs'));
}

test('reads branches, loose and nested tags, annotated tags peeled, and HEAD', async () => {
  await repo.tag('v1.0.0', first);
  const annotated = await repo.tag('sub/v1.0.1', second, { annotated: true });
  await repo.tag('outer', annotated, { annotated: true, message: 'tag of a tag' });
  await repo.branch('feature', first);
  const refs = await new RefStore(repo.gitDir, objects).read();
  assert.equal(refs.head, 'refs/heads/main');
  assert.equal(refs.headCommit, second);
  assert.deepEqual([...refs.branches].sort(), [['feature', first], ['main', second]]);
  assert.deepEqual([...refs.tags].sort(), [['outer', second], ['sub/v1.0.1', second], ['v1.0.0', first]]);
});

test('reads packed refs, with loose refs overriding packed ones', async () => {
  await repo.tag('v1.0.0', first, { annotated: true });
  await repo.tag('v1.1.0', second);
  await repo.packRefs();
  assert.equal(readdirSync(join(repo.gitDir, 'refs/tags')).length, 0);
  await repo.tag('v1.1.0', first);
  const refs = await new RefStore(repo.gitDir, objects).read();
  assert.equal(refs.tags.get('v1.0.0'), first);
  assert.equal(refs.tags.get('v1.1.0'), first);
  assert.equal(refs.branches.get('main'), second);
  assert.equal(refs.headCommit, second);
});

test('tags of trees and blobs are left out', async () => {
  await repo.tag('tree-tag', await repo.resolve(`${second}^{tree}`));
  await repo.tag('blob-tag', await repo.resolve(`${second}:a.txt`), { annotated: true });
  await repo.tag('v1.0.0', first);
  const refs = await new RefStore(repo.gitDir, objects).read();
  assert.deepEqual([...refs.tags.keys()], ['v1.0.0']);
});

test('detached and unborn HEADs', async () => {
  await repo.git(['update-ref', '--no-deref', 'HEAD', first]);
  const detached = await new RefStore(repo.gitDir, objects).read();
  assert.equal(detached.head, undefined);
  assert.equal(detached.headCommit, first);
  await repo.setHead('unborn');
  const unborn = await new RefStore(repo.gitDir, objects).read();
  assert.equal(unborn.head, 'refs/heads/unborn');
  assert.equal(unborn.headCommit, undefined);
});

test('symbolic refs under refs/heads resolve to their target', async () => {
  await repo.git(['symbolic-ref', 'refs/heads/alias', 'refs/heads/main']);
  const refs = await new RefStore(repo.gitDir, objects).read();
  assert.equal(refs.branches.get('alias'), second);
});

test('a settled snapshot is reused until a ref changes, then re-read', async () => {
  await repo.tag('v1.0.0', first);
  await repo.tag('sub/v1.0.0', first);
  settleRefFiles();
  const store = new RefStore(repo.gitDir, objects);
  const before = await store.read();
  assert.equal(await store.read(), before, 'unchanged files give the cached snapshot');

  await repo.tag('sub/v1.0.0', second);
  const afterNested = await store.read();
  assert.notEqual(afterNested, before);
  assert.equal(afterNested.tags.get('sub/v1.0.0'), second);

  settleRefFiles();
  const settled = await store.read();
  await repo.packRefs();
  await repo.branch('main', first);
  const afterPack = await store.read();
  assert.notEqual(afterPack, settled);
  assert.equal(afterPack.branches.get('main'), first);
  assert.equal(afterPack.tags.get('sub/v1.0.0'), second);
});

test('a snapshot taken right after a change is not reused: a change that keeps every mtime is still seen', async () => {
  await repo.tag('v1.0.0', first);
  const store = new RefStore(repo.gitDir, objects);
  const fresh = await store.read();
  assert.equal(await store.read(), fresh, 'a re-read finding the same refs gives the same snapshot');
  const tagsDir = join(repo.gitDir, 'refs/tags');
  const { atime, mtime } = statSync(tagsDir);
  await repo.tag('v1.0.0', second);
  utimesSync(tagsDir, atime, mtime);
  const changed = await store.read();
  assert.notEqual(changed, fresh, 'ref files younger than the racy window are re-read');
  assert.equal(changed.tags.get('v1.0.0'), second);
});

test('refs outside branches and tags are never read: pull and merge request refs cost nothing', async () => {
  await repo.git(['update-ref', 'refs/pull/1/head', first]);
  await repo.git(['update-ref', 'refs/merge-requests/1/head', 'refs/heads/main']);
  await repo.packRefs();
  await repo.git(['update-ref', 'refs/pull/2/head', second]);
  const refs = await new RefStore(repo.gitDir, objects).read();
  assert.deepEqual([...refs.branches.keys()], ['main']);
  assert.equal(refs.tags.size, 0);
  assert.equal(parsePackedRefs(readFileSync(join(repo.gitDir, 'packed-refs'), 'utf8')).size, 1);
});

test('packed annotated tags are peeled from packed-refs: one object lookup per distinct target, tags of tags included', async () => {
  const annotated = await repo.tag('v1.0.0', first, { annotated: true });
  await repo.tag('v1.0.1', first, { annotated: true });
  await repo.tag('outer', annotated, { annotated: true, message: 'tag of a tag' });
  await repo.tag('tree-tag', await repo.resolve(`${second}^{tree}`), { annotated: true });
  await repo.packRefs();
  const packed = parsePackedRefs(readFileSync(join(repo.gitDir, 'packed-refs'), 'utf8'));
  assert.equal(packed.get('refs/tags/outer')?.peeled, first);
  assert.equal(packed.get('refs/heads/main')?.peeled, second, 'fully-peeled: a branch without a ^ line is no tag');
  const peeled: string[] = [];
  const counting = Object.assign(Object.create(objects) as ObjectReader, {
    peel: (oid: string) => {
      peeled.push(oid);
      return objects.peel(oid);
    },
  });
  const refs = await new RefStore(repo.gitDir, counting).read();
  assert.deepEqual([...refs.tags].sort(), [['outer', first], ['v1.0.0', first], ['v1.0.1', first]]);
  assert.equal(peeled.length, 3, 'first, second and the tree, each once');
});

test('concurrent reads share one refresh', async () => {
  await repo.tag('v1.0.0', first);
  const store = new RefStore(repo.gitDir, objects);
  const [a, b] = await Promise.all([store.read(), store.read()]);
  assert.equal(a, b);
});

test('a repository with no refs at all', async () => {
  const empty = await createTempRepo('git-refs-empty');
  const emptyObjects = new ObjectReader(empty.gitDir);
  try {
    const refs = await new RefStore(empty.gitDir, emptyObjects).read();
    assert.equal(refs.head, 'refs/heads/main');
    assert.equal(refs.headCommit, undefined);
    assert.equal(refs.tags.size, 0);
    assert.equal(refs.branches.size, 0);
  } finally {
    await emptyObjects.close();
    await removeDir(empty.root);
  }
});

test('a branch packed (git pack-refs) after the loose refs were listed, before they are read, is still found', async () => {
  await repo.branch('packed-meanwhile', second);
  // The worst moment for a reader that takes loose refs first: the listing names the branch, then
  // pack-refs writes packed-refs and deletes the loose file. node:fs/promises' readdir is wrapped to
  // pack right there (syncBuiltinESMExports hands the wrapper to lib/git/refs.ts's import of it).
  const fsPromises = createRequire(import.meta.url)('node:fs/promises') as typeof import('node:fs/promises');
  const { readdir } = fsPromises;
  const heads = join(repo.gitDir, 'refs', 'heads');
  let packed = false;
  fsPromises.readdir = (async (...args: Parameters<typeof readdir>) => {
    const entries = await readdir(...args);
    if (!packed && args[0] === heads) {
      packed = true;
      execFileSync('git', [`--git-dir=${repo.gitDir}`, 'pack-refs', '--all']);
    }
    return entries;
  }) as typeof readdir;
  syncBuiltinESMExports();
  try {
    const refs = await new RefStore(repo.gitDir, objects).read();
    assert.ok(packed, 'packed while the refs were read');
    assert.ok(refs.branches.has('packed-meanwhile'));
  } finally {
    fsPromises.readdir = readdir;
    syncBuiltinESMExports();
  }
});

test('a repository removed after its refs were read is "not found", not an empty repository', async () => {
  await repo.tag('v1.0.0', first);
  const store = new RefStore(repo.gitDir, objects);
  assert.equal((await store.read()).tags.get('v1.0.0'), first);
  await removeDir(repo.root);
  await assert.rejects(store.read(), {
    name: 'ProxyError',
    kind: 'not-found',
    message: 'not found: the repository of this module no longer exists',
  });
});

test('parsePackedRefs: the header says which refs are peeled; other refs, stray ^ lines and garbage are skipped', () => {
  const [a, b, c] = ['a', 'b', 'c'].map((digit) => digit.repeat(40));
  const body =
    `${a} refs/tags/v1\n^${b}\nnot a line\n${b} refs/heads/main\n${c} refs/pull/1/head\n^${a}\n${c} refs/tags/v2\n${c} refs/remotes/o/x`;
  assert.deepEqual([...parsePackedRefs(`# pack-refs with: peeled fully-peeled sorted \n${body}`)], [
    ['refs/tags/v1', { oid: a, peeled: b }],
    ['refs/heads/main', { oid: b, peeled: b }],
    ['refs/tags/v2', { oid: c, peeled: c }],
  ]);
  assert.deepEqual([...parsePackedRefs(`# pack-refs with: peeled \n${body}`, 'refs/remotes/o/x')], [
    ['refs/tags/v1', { oid: a, peeled: b }],
    ['refs/heads/main', { oid: b, peeled: undefined }],
    ['refs/tags/v2', { oid: c, peeled: c }],
    ['refs/remotes/o/x', { oid: c, peeled: undefined }],
  ]);
  assert.deepEqual([...parsePackedRefs(body)].map(([, ref]) => ref.peeled), [b, undefined, undefined]);
});
