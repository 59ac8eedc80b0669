/**
 * The object reader (lib/git/objects.ts) over one `git cat-file --batch`: commits parsed, blobs
 * read raw by path, the size cap, object info, abbreviated names and their ambiguity, tags
 * peeled, many concurrent requests in order, and what happens to requests when git dies or the
 * reader is closed.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { liveChildCount, waitForExit } from '../../lib/git/children.ts';
import { ObjectReader, ObjectReaderClosedError, ObjectTooLargeError, parseCommit } from '../../lib/git/objects.ts';
import { GitError } from '../../lib/git/run.ts';
import { createTempRepo, type FixtureRepo } from '../support/git-fixture.ts';
import { removeDir } from '../support/temp.ts';

const SECOND_AUTHORED = '2023-01-02T03:05:05Z';
const SECOND_COMMITTED = '2023-01-02T03:06:05Z';

let repo: FixtureRepo;
let first: string;
let second: string;
let reader: ObjectReader;

before(async () => {
  repo = await createTempRepo('git-objects');
  first = await repo.commit({ 'go.mod': 'module example.com/m\n', 'dir/a b.txt': 'spaced\n' }, {
    date: '2023-01-02T03:04:05Z',
  });
  const changes = {
    '.gitattributes': '*.txt text eol=crlf\n',
    'big.bin': Buffer.alloc(200_000, 7),
    'dir/a b.txt': 'line\n',
  };
  second = await repo.commit(changes, { date: SECOND_COMMITTED, authorDate: SECOND_AUTHORED });
  await repo.tag('v1.0.0', first, { annotated: true });
  reader = new ObjectReader(repo.gitDir, { maxObjectBytes: 100_000 });
});

after(async () => {
  await reader.close();
  await removeDir(repo.root);
});

test('readCommit parses tree, parents and both times', async () => {
  const commit = await reader.readCommit(second);
  assert.ok(commit);
  assert.equal(commit.oid, second);
  assert.equal(commit.tree, await repo.resolve(`${second}^{tree}`));
  assert.deepEqual(commit.parents, [first]);
  assert.equal(commit.committerTime.toISOString(), new Date(SECOND_COMMITTED).toISOString());
  assert.equal(commit.authorTime.toISOString(), new Date(SECOND_AUTHORED).toISOString());
  const root = await reader.readCommit(first);
  assert.deepEqual(root?.parents, []);
});

test('readCommit is undefined for a missing object and for a non-commit', async () => {
  assert.equal(await reader.readCommit('0'.repeat(40)), undefined);
  const tree = await repo.resolve(`${second}^{tree}`);
  assert.equal(await reader.readCommit(tree), undefined);
  await assert.rejects(reader.readCommit('HEAD'), TypeError);
});

test('readBlobAt returns the raw blob (no eol conversion), paths with spaces too', async () => {
  const blob = await reader.readBlobAt(second, 'dir/a b.txt');
  assert.equal(Buffer.from(blob ?? []).toString(), 'line\n');
  const goMod = await reader.readBlobAt(first, 'go.mod');
  assert.equal(Buffer.from(goMod ?? []).toString(), 'module example.com/m\n');
  assert.equal(await reader.readBlobAt(first, 'nope.txt'), undefined);
  assert.equal(await reader.readBlobAt(first, 'dir'), undefined, 'a tree is not a blob');
});

test('readBlobAt rejects paths that could escape the request line or the tree', async () => {
  for (const path of ['a\ninfo x', '', '/abs', 'a/../b', './a', 'dir/', 'a\0b']) {
    await assert.rejects(reader.readBlobAt(first, path), TypeError, path);
  }
  await assert.rejects(reader.readBlobAt('main', 'go.mod'), TypeError);
});

test('objects above the size cap are refused without reading them; below it they are read', async () => {
  await assert.rejects(reader.readBlobAt(second, 'big.bin'), (error) => {
    assert.ok(error instanceof ObjectTooLargeError);
    assert.equal(error.size, 200_000);
    assert.equal(error.limit, 100_000);
    return true;
  });
  const big = await reader.readBlobAt(second, 'big.bin', 300_000);
  assert.equal(big?.length, 200_000);
  assert.ok(big?.every((byte) => byte === 7));
});

test('readObjectInfoAt tells type and size of a path without reading it', async () => {
  const info = await reader.readObjectInfoAt(second, 'big.bin');
  assert.deepEqual(info, { oid: await repo.resolve(`${second}:big.bin`), type: 'blob', size: 200_000 });
  assert.equal((await reader.readObjectInfoAt(second, 'dir'))?.type, 'tree');
  assert.equal(await reader.readObjectInfoAt(second, 'missing'), undefined);
  await assert.rejects(reader.readObjectInfoAt(second, 'a\nb'), TypeError);
});

test('readObjectInfo takes hex names only', async () => {
  assert.equal((await reader.readObjectInfo(second))?.type, 'commit');
  assert.equal(await reader.readObjectInfo('1'.repeat(40)), undefined);
  await assert.rejects(reader.readObjectInfo(`${second}:big.bin`), TypeError);
});

test('readObject reads by full or abbreviated hex and reports missing objects', async () => {
  const object = await reader.readObject(first.slice(0, 10));
  assert.equal(object?.oid, first);
  assert.equal(object?.type, 'commit');
  assert.equal(object?.size, object?.data.length);
  assert.equal(await reader.readObject('f'.repeat(40)), undefined);
  await assert.rejects(reader.readObject('HEAD~1'), TypeError);
  await assert.rejects(reader.readObject('abc'), TypeError, 'shorter than 4');
});

test('peel follows annotated tags to the commit', async () => {
  const tagObject = await repo.resolve('refs/tags/v1.0.0');
  assert.notEqual(tagObject, first);
  const peeled = await reader.peel(tagObject);
  assert.deepEqual(peeled, { oid: first, type: 'commit', size: peeled?.size });
  assert.equal(await reader.peel('0'.repeat(40)), undefined);
});

test('resolveRevisionPrefix finds commits, reports ambiguity and misses', async () => {
  assert.deepEqual(await reader.resolveRevisionPrefix(second.slice(0, 7)), { oid: second });
  assert.deepEqual(await reader.resolveRevisionPrefix(second.slice(0, 7).toUpperCase()), { oid: second });
  assert.equal(await reader.resolveRevisionPrefix('0000000'), undefined);
  const blob = await repo.resolve(`${second}:big.bin`);
  assert.equal(await reader.resolveRevisionPrefix(blob.slice(0, 8)), undefined, 'a blob is not a commit');
});

test('a prefix shared by several commits is reported as ambiguous', async () => {
  const scratch = await createTempRepo('git-objects-ambiguous');
  const ambiguous = new ObjectReader(scratch.gitDir);
  try {
    const tree = (await scratch.git(['hash-object', '-t', 'tree', '-w', '--stdin'], '')).trim();
    const texts = Array.from(
      { length: 600 },
      (_, i) => `tree ${tree}\nauthor a <a> 1 +0000\ncommitter a <a> 1 +0000\n\nc${i}\n`,
    );
    const paths = texts.map((_, i) => join(scratch.root, 'c', String(i)));
    mkdirSync(join(scratch.root, 'c'));
    texts.forEach((text, i) => writeFileSync(paths[i]!, text));
    const oids = (await scratch.git(['hash-object', '-t', 'commit', '-w', '--stdin-paths'], paths.join('\n'))).trim()
      .split('\n');
    const seen = new Set<string>();
    const shared = oids.map((oid) => oid.slice(0, 4)).find((prefix) => seen.has(prefix) || !seen.add(prefix));
    assert.ok(shared, '600 commits share some 4-digit prefix');
    assert.deepEqual(await ambiguous.resolveRevisionPrefix(shared), { ambiguous: true });
    const unique = oids.find((oid) => oids.filter((other) => other.startsWith(oid.slice(0, 7))).length === 1) ?? '';
    assert.deepEqual(await ambiguous.resolveRevisionPrefix(unique.slice(0, 7)), { oid: unique });
  } finally {
    await ambiguous.close();
    await removeDir(scratch.root);
  }
});

test('many concurrent requests are answered in order', async () => {
  const names = Array.from({ length: 200 }, (_, i) => (i % 2 ? first : second));
  const commits = await Promise.all(names.map((oid) => reader.readCommit(oid)));
  assert.deepEqual(commits.map((commit) => commit?.oid), names);
});

test('a dead cat-file process fails its pending requests and is restarted', async () => {
  await reader.readCommit(first);
  const child = reader.process;
  assert.ok(child);
  child.kill('SIGKILL');
  await waitForExit(child);
  const commit = await reader.readCommit(first);
  assert.equal(commit?.oid, first);
  assert.notEqual(reader.process, child);
});

test('the process stops after the idle time and restarts on demand', async () => {
  const idle = new ObjectReader(repo.gitDir, { idleMs: 20 });
  try {
    await idle.readCommit(first);
    const child = idle.process;
    assert.ok(child);
    await waitForExit(child);
    assert.equal(idle.process, undefined);
    assert.equal((await idle.readCommit(second))?.oid, second);
  } finally {
    await idle.close();
  }
});

test('close stops the process and refuses further requests', async () => {
  const closing = new ObjectReader(repo.gitDir);
  const before = liveChildCount();
  await closing.readCommit(first);
  assert.equal(liveChildCount(), before + 1);
  const child = closing.process;
  await closing.close();
  assert.notEqual(child?.exitCode ?? child?.signalCode ?? null, null);
  assert.equal(liveChildCount(), before);
  await assert.rejects(closing.readCommit(first), ObjectReaderClosedError);
});

test('parseCommit refuses a malformed commit', () => {
  assert.throws(() => parseCommit('x', new TextEncoder().encode('tree abc\n\nmessage')), /malformed commit/);
});

test('a reader on something that is not a repository rejects with GitError', async () => {
  const broken = new ObjectReader(repo.root);
  try {
    await assert.rejects(broken.readCommit(first), (error) => error instanceof GitError && error.exitCode === 128);
  } finally {
    await broken.close();
  }
});
