/**
 * Commit ancestry in a repository (lib/git/history.ts): `isAncestor`, the tags reachable from a
 * commit, and whether a commit is reachable from branches or tags only (not other refs).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startedChildCount } from '../../lib/git/children.ts';
import {
  isAncestor,
  isReachableFrom,
  objectsWithPrefix,
  Reachability,
  tagsReachableFrom,
} from '../../lib/git/history.ts';
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
  await assert.rejects(
    isAncestor(repo.gitDir, '0'.repeat(40), tip),
    (error) => error instanceof GitError && error.exitCode !== 1,
  );
  await assert.rejects(isAncestor(repo.gitDir, 'HEAD', tip), TypeError);
});

test('tagsReachableFrom lists tags on and below the commit, annotated and nested ones included', async () => {
  assert.deepEqual((await tagsReachableFrom(repo.gitDir, tip)).sort(), ['sub/v0.1.0', 'v1.0.0', 'v1.1.0']);
  assert.deepEqual((await tagsReachableFrom(repo.gitDir, middle)).sort(), ['sub/v0.1.0', 'v1.0.0', 'v1.1.0']);
  assert.deepEqual(await tagsReachableFrom(repo.gitDir, root), ['v1.0.0']);
  assert.deepEqual((await tagsReachableFrom(repo.gitDir, side)).sort(), ['v1.0.0', 'v2.0.0']);
  await assert.rejects(tagsReachableFrom(repo.gitDir, '--all'), TypeError);
  assert.deepEqual(
    await tagsReachableFrom(repo.gitDir, tip, 'sub/'),
    ['sub/v0.1.0'],
    'a module directory: its own tags only',
  );
  assert.deepEqual(await tagsReachableFrom(repo.gitDir, root, 'sub/'), []);
  await assert.rejects(tagsReachableFrom(repo.gitDir, tip, 'sub'), TypeError);
});

test('isReachableFrom: the tips and their ancestors only', async () => {
  assert.equal(await isReachableFrom(repo.gitDir, root, [tip]), true);
  assert.equal(await isReachableFrom(repo.gitDir, tip, [tip, side]), true);
  assert.equal(await isReachableFrom(repo.gitDir, side, [tip]), false);
  assert.equal(await isReachableFrom(repo.gitDir, hidden, [tip, side]), false);
  assert.equal(await isReachableFrom(repo.gitDir, root, []), false);
  await assert.rejects(isReachableFrom(repo.gitDir, 'f'.repeat(40), [tip]), GitError);
  await assert.rejects(isReachableFrom(repo.gitDir, tip, ['--all']), TypeError);
});

test('objectsWithPrefix lists every object sharing a prefix, of any type', async () => {
  assert.deepEqual(await objectsWithPrefix(repo.gitDir, tip.slice(0, 12)), [tip]);
  assert.deepEqual(await objectsWithPrefix(repo.gitDir, '0000000000'), []);
  await assert.rejects(objectsWithPrefix(repo.gitDir, '--all'), TypeError);
});

test('Reachability answers from HEAD, branches and tags (not merge requests), once per set of tips', async () => {
  const reachability = new Reachability(repo.gitDir);
  const refs = { branches: new Map([['main', tip]]), tags: new Map([['v2.0.0', side]]) };
  const started = startedChildCount();
  assert.equal(await reachability.reachable(tip, refs), true, 'a tip needs no git');
  assert.equal(startedChildCount(), started);
  assert.equal(await reachability.reachable(root, refs), true);
  assert.equal(await reachability.reachable(hidden, refs), false);
  const asked = startedChildCount();
  assert.equal(await reachability.reachable(root, refs), true);
  assert.equal(await reachability.reachable(hidden, refs), false);
  assert.equal(startedChildCount(), asked, 'answers are kept for the snapshot');
  assert.equal(
    await reachability.reachable(root, { branches: new Map(refs.branches), tags: new Map(refs.tags) }),
    true,
  );
  assert.equal(startedChildCount(), asked, 'a fresh read of refs that point where they did keeps the answers');
  assert.equal(
    await reachability.reachable(hidden, { ...refs, headCommit: hidden }),
    true,
    'a detached HEAD counts; new tips ask again',
  );
});

test('Reachability keeps a bounded number of answers and forgets failures', async () => {
  const reachability = new Reachability(repo.gitDir, {}, 1);
  const refs = { branches: new Map([['main', tip]]), tags: new Map<string, string>() };
  await assert.rejects(reachability.reachable('f'.repeat(40), refs), GitError);
  assert.equal(await reachability.reachable(root, refs), true);
  assert.equal(await reachability.reachable(side, refs), false);
  const asked = startedChildCount();
  assert.equal(await reachability.reachable(root, refs), true);
  assert.equal(startedChildCount(), asked + 1, 'the oldest answer made room for the newest');
});
