import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { GitError } from '../../lib/git/run.ts';
import { listTree, NulRecords, parseLsTreeRecord } from '../../lib/git/tree.ts';
import { TestRepo } from '../support/git-repo.ts';

let repo: TestRepo;
let commit: string;
let submoduleCommit: string;

before(() => {
  repo = TestRepo.create();
  const inner = repo.commit('inner', { 'x.txt': 'x\n' });
  submoduleCommit = inner;
  repo.write({
    'go.mod': 'module example.com/m\n',
    'sub/go.mod': 'module example.com/m/sub\n',
    'sub/dir/with space.go': 'package dir\n',
    'sub/naïve.txt': 'ünïcode\n',
    'subway/other.go': 'package subway\n',
    'run.sh': '#!/bin/sh\n',
  });
  repo.git('add', '-A');
  repo.git('update-index', '--chmod=+x', 'run.sh');
  repo.git('update-index', '--add', '--cacheinfo', `160000,${submoduleCommit},sub/vendored-module`);
  repo.git('rm', '-q', '--cached', 'x.txt');
  repo.git('commit', '-q', '-m', 'tree');
  commit = repo.git('rev-parse', 'HEAD');
  // a symlink, added straight to the index so no file system support is needed
  const target = repo.gitWithInput('go.mod', 'hash-object', '-w', '--stdin');
  repo.git('update-index', '--add', '--cacheinfo', `120000,${target},sub/link`);
  repo.git('commit', '-q', '-m', 'symlink');
});

after(() => repo.remove());

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
    oid: repo.git('rev-parse', `${commit}:go.mod`),
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

test('lists a directory with paths relative to it, not matching sibling prefixes', async () => {
  const head = repo.git('rev-parse', 'HEAD');
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
  await assert.rejects(listTree(repo.gitDir, '0'.repeat(40)), (error) => error instanceof GitError && error.exitCode === 128);
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
});

test('records split across output chunks are reassembled', async () => {
  const big = TestRepo.create();
  try {
    const files = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`many/ä-${String(i).padStart(4, '0')}.txt`, `${i}\n`]));
    const oid = big.commit('many files', files);
    const entries = await listTree(big.gitDir, oid, 'many');
    assert.equal(entries.length, 2000);
    assert.deepEqual(entries.map((entry) => entry.path), Object.keys(files).map((path) => path.slice('many/'.length)));
    assert.ok(entries.every((entry, i) => entry.size === `${i}\n`.length));
  } finally {
    big.remove();
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
