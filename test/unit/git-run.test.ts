/**
 * Running git (lib/git/run.ts): output, input, exit codes and the first stderr line as errors, an
 * output cap, aborting through a signal, streamed commands, limiter slots held until exit, and the
 * fixed environment every git process gets.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { liveChildCount, waitForExit } from '../../lib/git/children.ts';
import { Limiter } from '../../lib/git/limiter.ts';
import { gitEnvironment, GitError, gitExit, runGit, spawnGit, startGit } from '../../lib/git/run.ts';
import { createTempRepo, type FixtureRepo } from '../support/git-fixture.ts';
import { removeDir } from '../support/temp.ts';

let repo: FixtureRepo;
let firstCommit: string;

before(async () => {
  repo = await createTempRepo('git-run');
  firstCommit = await repo.commit({ 'a.txt': 'alpha\n' }, { date: '2023-01-02T03:04:05Z' });
});

after(() => removeDir(repo.root));

test('runGit resolves with stdout', async () => {
  const out = await runGit(repo.gitDir, ['rev-parse', '--verify', '--end-of-options', 'HEAD']);
  assert.equal(out.toString().trim(), firstCommit);
});

test('runGit writes input to stdin', async () => {
  const out = await runGit(repo.gitDir, ['hash-object', '--stdin'], { input: new TextEncoder().encode('alpha\n') });
  assert.equal(out.toString().trim(), await repo.resolve('HEAD:a.txt'));
});

test('runGit rejects with GitError carrying the exit code and first stderr line', async () => {
  const error = await runGit(repo.gitDir, ['rev-parse', '--verify', '--end-of-options', 'no-such-ref']).then(
    () => assert.fail('expected a failure'),
    (reason: unknown) => reason,
  );
  assert.ok(error instanceof GitError);
  assert.equal(error.exitCode, 128);
  assert.equal(error.stderrLine, 'fatal: Needed a single revision');
  assert.match(error.message, /^git rev-parse exited with 128: fatal: Needed a single revision$/);
});

test('runGit refuses output above maxBytes', async () => {
  await assert.rejects(
    runGit(repo.gitDir, ['cat-file', 'blob', `${firstCommit}:a.txt`], { maxBytes: 3 }),
    (error) => error instanceof GitError && /output larger than 3 bytes/.test(error.message),
  );
  const out = await runGit(repo.gitDir, ['cat-file', 'blob', `${firstCommit}:a.txt`], { maxBytes: 6 });
  assert.equal(out.toString(), 'alpha\n');
});

test('aborting the signal kills the child, which leaves the registry', async () => {
  const controller = new AbortController();
  const before = liveChildCount();
  // startGit leaves stdin open, so `cat-file --batch` would wait for input forever.
  const child = startGit(repo.gitDir, ['cat-file', '--batch'], controller.signal);
  assert.equal(liveChildCount(), before + 1);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(child.exitCode, null);
  controller.abort(new Error('request aborted'));
  await waitForExit(child);
  assert.equal(child.signalCode, 'SIGTERM');
  assert.equal(liveChildCount(), before);
});

test('runGit rejects with the abort reason', async () => {
  const controller = new AbortController();
  const reason = new Error('stop');
  const running = runGit(repo.gitDir, ['hash-object', '--stdin'], { signal: controller.signal });
  controller.abort(reason);
  await assert.rejects(running, (error) => error === reason);
});

test('gitExit reports the failure of a streamed command', async () => {
  const child = await spawnGit(repo.gitDir, ['ls-tree', '--end-of-options', 'deadbeef']);
  child.stdout?.resume();
  await assert.rejects(gitExit(child), (error) => error instanceof GitError && error.exitCode === 128);
  const ok = await spawnGit(repo.gitDir, ['ls-tree', '--end-of-options', firstCommit]);
  ok.stdout?.resume();
  await gitExit(ok);
});

test('spawnGit holds a limiter slot until the child exits', async () => {
  const limiter = new Limiter({ concurrency: 1, queueLimit: 1 });
  const child = await spawnGit(repo.gitDir, ['version'], { limiter });
  assert.equal(limiter.running, 1);
  child.stdout?.resume();
  await gitExit(child);
  assert.equal(limiter.running, 0);
});

test('the environment drops inherited GIT_ variables and fixes config and locale', () => {
  const env = gitEnvironment({
    PATH: '/bin',
    GIT_DIR: '/elsewhere',
    GIT_INDEX_FILE: 'x',
    LANG: 'de_DE.UTF-8',
    LC_MESSAGES: 'de',
  });
  assert.equal(env.PATH, '/bin');
  assert.equal(env.GIT_DIR, undefined);
  assert.equal(env.GIT_INDEX_FILE, undefined);
  assert.equal(env.LANG, undefined);
  assert.equal(env.LC_MESSAGES, undefined);
  assert.equal(env.LC_ALL, 'C');
  assert.equal(env.GIT_CONFIG_NOSYSTEM, '1');
  assert.equal(env.GIT_TERMINAL_PROMPT, '0');
  assert.equal(env.GIT_NO_REPLACE_OBJECTS, '1');
});

test('the environment keeps glibc from trimming the heap after every free, whatever was inherited', () => {
  assert.equal(gitEnvironment({ PATH: '/bin', MALLOC_TOP_PAD_: '0' }).MALLOC_TOP_PAD_, String(4 << 20));
});
