/**
 * Listing a tree (lib/git/tree.ts, `git ls-tree`): every file of a commit or of one directory with
 * mode, type, id and size (executables, symlinks, gitlinks, non-ASCII and spaced names), option-like
 * directories taken as paths, and the NUL-record splitter across every chunking.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { GitError } from '../../lib/git/run.ts';
import {
  forEachTreeEntry,
  NulRecords,
  parseLsTreeRecord,
  type TreeEntry,
  type TreeListingOptions,
} from '../../lib/git/tree.ts';
import { createTempRepo, type FixtureRepo } from '../support/git-fixture.ts';
import { removeDir } from '../support/temp.ts';

let repo: FixtureRepo;
let commit: string;
let submoduleCommit: string;

before(async () => {
  repo = await createTempRepo('git-tree');
  submoduleCommit = await repo.commit({ 'x.txt': 'x\n' }, { date: '2023-01-02T03:04:05Z', message: 'inner' });
  commit = await repo.commit(
    {
      'x.txt': null,
      'go.mod': 'module example.com/m\n',
      'sub/go.mod': 'module example.com/m/sub\n',
      'sub/dir/with space.go': 'package dir\n',
      'sub/naïve.txt': 'ünïcode\n',
      'subway/other.go': 'package subway\n',
      'run.sh': { exec: '#!/bin/sh\n' },
      'sub/vendored-module': { gitlink: submoduleCommit },
    },
    { date: '2023-01-02T03:05:05Z', message: 'tree' },
  );
  await repo.commit({ 'sub/link': { symlink: 'go.mod' } }, { date: '2023-01-02T03:06:05Z', message: 'symlink' });
});

after(() => removeDir(repo.root));

/** Every entry `forEachTreeEntry` hands over, in its order. */
async function listTree(
  gitDir: string,
  commit: string,
  dir?: string,
  options: TreeListingOptions = {},
): Promise<TreeEntry[]> {
  const entries: TreeEntry[] = [];
  await forEachTreeEntry(gitDir, commit, dir, options, (entry) => entries.push(entry));
  return entries;
}

test('lists every file of the whole tree with mode, type, oid and size', async () => {
  const entries = await listTree(repo.gitDir, commit);
  const byPath = new Map(entries.map((entry) => [entry.path, entry]));
  assert.deepEqual(entries.map((entry) => entry.path), [
    'go.mod',
    'run.sh',
    'sub/dir/with space.go',
    'sub/go.mod',
    'sub/naïve.txt',
    'sub/vendored-module',
    'subway/other.go',
  ]);
  assert.deepEqual(byPath.get('go.mod'), {
    path: 'go.mod',
    mode: '100644',
    type: 'blob',
    oid: await repo.resolve(`${commit}:go.mod`),
    size: 'module example.com/m\n'.length,
  });
  assert.equal(byPath.get('run.sh')?.mode, '100755');
  assert.equal(byPath.get('sub/naïve.txt')?.size, Buffer.byteLength('ünïcode\n'));
  assert.deepEqual(byPath.get('sub/vendored-module'), {
    path: 'sub/vendored-module',
    mode: '160000',
    type: 'commit',
    oid: submoduleCommit,
    size: 0,
  });
});

test('a listing without sizes gives the same entries in the same order, every size 0', async () => {
  const withSizes = await listTree(repo.gitDir, commit, 'sub');
  const withoutSizes = await listTree(repo.gitDir, commit, 'sub', { sizes: false });
  assert.deepEqual(withoutSizes, withSizes.map((entry) => ({ ...entry, size: 0 })));
});

test('lists a directory with paths relative to it, not matching sibling prefixes', async () => {
  const head = await repo.resolve('HEAD');
  const entries = await listTree(repo.gitDir, head, 'sub');
  assert.deepEqual(entries.map((entry) => [entry.path, entry.mode]), [
    ['dir/with space.go', '100644'],
    ['go.mod', '100644'],
    ['link', '120000'],
    ['naïve.txt', '100644'],
    ['vendored-module', '160000'],
  ]);
});

test('a missing directory lists nothing; a missing commit is an error', async () => {
  assert.deepEqual(await listTree(repo.gitDir, commit, 'nope'), []);
  await assert.rejects(
    listTree(repo.gitDir, '0'.repeat(40)),
    (error) => error instanceof GitError && error.exitCode === 128,
  );
});

test('a directory named like an option is taken as a path', async () => {
  assert.deepEqual(await listTree(repo.gitDir, commit, '--help'), []);
});

test('parseLsTreeRecord reads padded sizes and refuses malformed records', () => {
  assert.deepEqual(parseLsTreeRecord(`100644 blob ${'a'.repeat(40)}      12\tp/q`), {
    path: 'p/q',
    mode: '100644',
    type: 'blob',
    oid: 'a'.repeat(40),
    size: 12,
  });
  assert.throws(() => parseLsTreeRecord('garbage'), /unexpected ls-tree output/);
  assert.deepEqual(parseLsTreeRecord(`120000 blob ${'b'.repeat(40)}\ta b/c`, false), {
    path: 'a b/c',
    mode: '120000',
    type: 'blob',
    oid: 'b'.repeat(40),
    size: 0,
  });
  // A record without a size read as one with sizes (the space in the path is no size), and the other way round.
  assert.throws(() => parseLsTreeRecord(`100644 blob ${'a'.repeat(40)}\ta b`), /unexpected ls-tree output/);
  assert.throws(() => parseLsTreeRecord(`100644 blob ${'a'.repeat(40)}`, false), /unexpected ls-tree output/);
});

test('records split across output chunks are reassembled', async () => {
  const big = await createTempRepo('git-tree-many');
  try {
    const files = Object.fromEntries(
      Array.from({ length: 2000 }, (_, i) => [`many/ä-${String(i).padStart(4, '0')}.txt`, `${i}\n`]),
    );
    const oid = await big.commit(files, { date: '2023-01-02T03:04:05Z' });
    const entries = await listTree(big.gitDir, oid, 'many');
    assert.equal(entries.length, 2000);
    assert.deepEqual(entries.map((entry) => entry.path), Object.keys(files).map((path) => path.slice('many/'.length)));
    assert.ok(entries.every((entry, i) => entry.size === `${i}\n`.length));
  } finally {
    await removeDir(big.root);
  }
});

test('NUL-terminated records come out whole and decoded wherever the chunks split them, even inside a character', () => {
  const records = ['100644 blob a\tplain', '100644 blob b\tnaïve/ünïcödé', '', '120000 blob c\t€ sign'];
  const bytes = Buffer.from(records.map((record) => `${record}\0`).join(''));
  for (const size of [1, 2, 3, 5, 8, bytes.length]) {
    const seen: string[] = [];
    const splitter = new NulRecords((record) => seen.push(record));
    for (let at = 0; at < bytes.length; at += size) splitter.push(bytes.subarray(at, at + size));
    splitter.end();
    assert.deepEqual(seen, records, `${size}-byte chunks`);
  }
  const unfinished = new NulRecords(() => undefined);
  unfinished.push(Buffer.from('100644 blob a\tno end'));
  assert.throws(() => unfinished.end(), /ended inside a record/);
});
