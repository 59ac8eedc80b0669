import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { isAncestor, isReachableFromBranchesOrTags, tagsReachableFrom } from '../../lib/git/history.ts';
import { GitError } from '../../lib/git/run.ts';
import { TestRepo } from '../support/git-repo.ts';

let repo: TestRepo;
let root: string;
let middle: string;
let tip: string;
let side: string;
let hidden: string;

// root (v1.0.0) ── middle (sub/v0.1.0, annotated v1.1.0) ── tip (main)
//      └── side (branch side, tag v2.0.0)
// hidden: a commit only refs/merge-requests/1/head points at
before(() => {
  repo = TestRepo.create();
  root = repo.commit('root');
  repo.git('tag', 'v1.0.0');
  middle = repo.commit('middle');
  repo.git('tag', 'sub/v0.1.0');
  repo.git('tag', '-a', '-m', 'annotated', 'v1.1.0');
  tip = repo.commit('tip');
  repo.git('checkout', '-q', '-b', 'side', root);
  side = repo.commit('side');
  repo.git('tag', 'v2.0.0');
  repo.git('checkout', '-q', '--detach', tip);
  hidden = repo.commit('hidden');
  repo.git('update-ref', 'refs/merge-requests/1/head', hidden);
  repo.git('checkout', '-q', 'main');
});

after(() => repo.remove());

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
