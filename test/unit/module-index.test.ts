/**
 * Versions indexed per module (lib/modules/tag-index.ts through lib/modules/module-repo.ts), on a
 * real monorepo: each nested module's list equals what `git for-each-ref` shows of its directory's
 * tags; pull refs change nothing; refs changing between requests (a tag pushed, packed-refs
 * rewritten, a branch moved) are seen by the next request; a package-path probe walks no history,
 * and a module's pseudo-version base is walked for once per commit and ref snapshot.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Limiter } from '../../lib/git/limiter.ts';
import { GitRepository } from '../../lib/modules/git-repository.ts';
import { type CodeHost, ModuleRepo } from '../../lib/modules/module-repo.ts';
import { sortVersions } from '../../lib/modules/semver.ts';
import { createTempRepo, type FixtureRepo } from '../support/git-fixture.ts';
import { removeDir } from '../support/temp.ts';

const ROOT = 'example.com/mono';
const DIRS = ['', 'a', 'a/b', 'c'];

let repo: FixtureRepo;
let repository: GitRepository;
let walks: string[];
let host: CodeHost;
let commits: string[];

const moduleRepo = (modulePath: string) => ModuleRepo.open(host, ROOT, modulePath)!;
const minute = (n: number) => new Date(Date.UTC(2024, 0, 1, 0, n));

before(async () => {
  repo = await createTempRepo('module-index');
  repository = new GitRepository(repo.gitDir, new Limiter({ concurrency: 2 }));
  walks = [];
  host = {
    ...repository.codeHost,
    tagsReachableFrom: (commit, tagPrefix) => {
      walks.push(`${commit.slice(0, 7)} ${tagPrefix}`);
      return repository.codeHost.tagsReachableFrom(commit, tagPrefix);
    },
  };
  const goMods = Object.fromEntries(
    DIRS.map((dir) => [dir === '' ? 'go.mod' : `${dir}/go.mod`, `module ${dir === '' ? ROOT : `${ROOT}/${dir}`}\n`]),
  );
  commits = [];
  for (let i = 0; i < 6; i++) {
    commits.push(
      await repo.commit({ ...goMods, 'a/v2/go.mod': `module ${ROOT}/a/v2\n`, 'a/pkg/p.go': `package pkg // ${i}\n` }, {
        date: minute(i),
      }),
    );
    for (const dir of DIRS) {
      await repo.tag(dir === '' ? `v1.${i}.0` : `${dir}/v1.${i}.0`, commits[i], { annotated: i % 2 === 0 });
    }
  }
  await repo.tag('a/v2.0.0', commits[5]);
  await repo.tag('c/v1.6.0-rc.1', commits[5]);
  for (let n = 1; n <= 200; n++) await repo.git(['update-ref', `refs/pull/${n}/head`, commits[n % 6]]);
  await repo.packRefs();
});

after(async () => {
  await repository.close();
  await removeDir(repo.root);
});

/** The list `git for-each-ref` gives for a module directory and major: its tags' versions, sorted. */
async function forEachRefList(dir: string, major: 'v1' | 'v2'): Promise<string[]> {
  const prefix = dir === '' ? '' : `${dir}/`;
  const names = (await repo.git(['for-each-ref', '--format=%(refname:lstrip=2)', `refs/tags/${prefix}`])).split('\n');
  const versions = names.filter((name) => name.startsWith(prefix) && !name.slice(prefix.length).includes('/')).map((
    name,
  ) => name.slice(prefix.length));
  return sortVersions(versions.filter((v) => v.startsWith(`${major}.`)));
}

test("each nested module's list is its directory's tags as git for-each-ref shows them; pull refs add nothing", async () => {
  for (const dir of DIRS) {
    const modulePath = dir === '' ? ROOT : `${ROOT}/${dir}`;
    assert.deepEqual(await moduleRepo(modulePath).versions(), await forEachRefList(dir, 'v1'), modulePath);
  }
  assert.deepEqual(await moduleRepo(`${ROOT}/a/v2`).versions(), await forEachRefList('a', 'v2'));
  assert.deepEqual(await moduleRepo(`${ROOT}/a/v2`).versions(), ['v2.0.0']);
  assert.equal((await moduleRepo(`${ROOT}/c`).versions()).at(-1), 'v1.6.0-rc.1');
  assert.deepEqual((await repository.refs.read()).branches, new Map([['main', commits[5]]]));
  await assert.rejects(moduleRepo(ROOT).stat('pull/1/head'), /unknown revision pull\/1\/head/);
});

test('a package-path probe walks no history: its 404 says what it always said', async () => {
  walks.length = 0;
  const probe = moduleRepo(`${ROOT}/a/pkg`);
  assert.deepEqual(await probe.versions(), []);
  const expected = `not found: ${ROOT}/a/pkg@v0.0.0-20240101000500-${
    commits[5].slice(0, 12)
  }: invalid version: missing ${ROOT}/a/pkg/go.mod at revision ${commits[5].slice(0, 12)}`;
  await assert.rejects(probe.latest(), { message: expected });
  await assert.rejects(moduleRepo(`${ROOT}/a/pkg`).latest(), { message: expected });
  assert.deepEqual(walks, []);
});

test("a pseudo-version's base comes from the module's own tags, walked once per commit and snapshot", async () => {
  const extra = await repo.commit({ 'a/pkg/p.go': 'package pkg // extra\n' }, {
    date: minute(10),
    branch: 'feature',
    parents: [commits[5]],
  });
  walks.length = 0;
  const pseudo = `v1.5.1-0.20240101001000-${extra.slice(0, 12)}`;
  assert.equal((await moduleRepo(`${ROOT}/a`).stat('feature')).version, pseudo);
  assert.equal((await moduleRepo(`${ROOT}/a`).stat(extra.slice(0, 12))).version, pseudo);
  assert.equal(
    (await moduleRepo(`${ROOT}/c`).stat('feature')).version,
    `v1.6.0-rc.1.0.20240101001000-${extra.slice(0, 12)}`,
  );
  assert.deepEqual(walks, [`${extra.slice(0, 7)} a/`, `${extra.slice(0, 7)} c/`]);
  await repo.git(['branch', '-D', 'feature']);
});

test('refs changing between requests are seen by the next request: a tag pushed, packed-refs rewritten, a branch moved', async () => {
  const a = `${ROOT}/a`;
  const before = await moduleRepo(a).versions();
  await repo.tag('a/v1.7.0', commits[3]);
  assert.deepEqual(await moduleRepo(a).versions(), [...before, 'v1.7.0'], 'a pushed tag');
  await repo.packRefs();
  await repo.git(['tag', '-d', 'a/v1.0.0']);
  assert.deepEqual(await moduleRepo(a).versions(), [...before.slice(1), 'v1.7.0'], 'a tag deleted from packed-refs');
  assert.equal((await moduleRepo(a).latest()).version, 'v1.7.0');

  const moved = await repo.commit({ 'a/pkg/p.go': 'package pkg // moved\n' }, { date: minute(20) });
  const info = await moduleRepo(a).stat('main');
  assert.equal(info.commit, moved, 'the branch as moved');
  assert.equal(info.version, `v1.7.1-0.20240101002000-${moved.slice(0, 12)}`);
  assert.equal((await moduleRepo(a).stat('HEAD')).commit, moved);
});
