/**
 * Commit ancestry in a repository (lib/git/history.ts): `isAncestor`, the tags reachable from a
 * commit, and whether a commit is reachable from branches or tags only (not other refs).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { isAncestor, isReachableFromBranchesOrTags, tagsReachableFrom } from '../../lib/git/history.ts';
import { GitError } from '../../lib/git/run.ts';
import { createTempRepo, type FixtureRepo } from '../support/git-fixture.ts';
import { removeDir } from '../support/temp.ts';

let repo: FixtureRepo;
let root: string;
let middle: string;
let tip: string;
let side: string;
let hidden: string;

/** Commit dates a minute apart, so that every commit has its own id. */
const minute = (n: number): Date => new Date(Date.UTC(2023, 0, 2, 3, 4 + n, 5));

// root (v1.0.0) ── middle (sub/v0.1.0, annotated v1.1.0) ── tip (main)
//      └── side (branch side, tag v2.0.0)
// hidden: a commit only refs/merge-requests/1/head points at
before(async () => {
  repo = await createTempRepo('git-history');
  root = await repo.commit({}, { date: minute(0), message: 'root' });
  await repo.tag('v1.0.0');
  middle = await repo.commit({}, { date: minute(1), message: 'middle' });
  await repo.tag('sub/v0.1.0');
  await repo.tag('v1.1.0', middle, { annotated: true });
  tip = await repo.commit({}, { date: minute(2), message: 'tip' });
  side = await repo.commit({}, { date: minute(3), message: 'side', branch: 'side', parents: [root] });
  await repo.tag('v2.0.0');
  hidden = await repo.commit({}, { date: minute(4), message: 'hidden', branch: null, parents: [tip] });
  await repo.updateRef('refs/merge-requests/1/head', hidden);
});

after(() => removeDir(repo.root));

test('isAncestor: true for ancestors and the commit itself, false otherwise', async () => {
  assert.equal(await isAncestor(repo.gitDir, root, tip), true);
  assert.equal(await isAncestor(repo.gitDir, tip, tip), true);
  assert.equal(await isAncestor(repo.gitDir, tip, root), false);
  assert.equal(await isAncestor(repo.gitDir, side, tip), false);
});

test('isAncestor: an unknown commit is an error, not false', async () => {
  await assert.rejects(isAncestor(repo.gitDir, '0'.repeat(40), tip), (error) => error instanceof GitError && error.exitCode !== 1);
  await assert.rejects(isAncestor(repo.gitDir, 'HEAD', tip), TypeError);
});

test('tagsReachableFrom lists tags on and below the commit, annotated and nested ones included', async () => {
  assert.deepEqual((await tagsReachableFrom(repo.gitDir, tip)).sort(), ['sub/v0.1.0', 'v1.0.0', 'v1.1.0']);
  assert.deepEqual((await tagsReachableFrom(repo.gitDir, middle)).sort(), ['sub/v0.1.0', 'v1.0.0', 'v1.1.0']);
  assert.deepEqual(await tagsReachableFrom(repo.gitDir, root), ['v1.0.0']);
  assert.deepEqual((await tagsReachableFrom(repo.gitDir, side)).sort(), ['v1.0.0', 'v2.0.0']);
  await assert.rejects(tagsReachableFrom(repo.gitDir, '--all'), TypeError);
});

test('isReachableFromBranchesOrTags ignores refs outside heads and tags', async () => {
  assert.equal(await isReachableFromBranchesOrTags(repo.gitDir, root), true);
  assert.equal(await isReachableFromBranchesOrTags(repo.gitDir, side), true);
  assert.equal(await isReachableFromBranchesOrTags(repo.gitDir, hidden), false);
  await assert.rejects(isReachableFromBranchesOrTags(repo.gitDir, 'f'.repeat(40)), GitError);
});
