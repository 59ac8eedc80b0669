/**
 * The project index and its sources: which repositories below `repos` are projects and under which
 * names (a directory tree, Gitea's `<owner>/<repo>.git`, GitLab's hashed storage), what the config
 * adds, and discovery off the request path: lookups never scan, scans run in the background and are
 * swapped in whole (rescan, interval, directory watch), and a large scan yields the event loop; a
 * config reload swaps projects, tokens and group ids in together, from the last scan.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { after, describe, test } from 'node:test';
import { type ProxyOptions, resolveOptions } from '../../lib/cli/config.ts';
import { ProjectIndex } from '../../lib/access/projects.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';
import { DirectoryTree, type ProjectSource } from '../../lib/discovery/project-source.ts';
import { gitConfigValue, GitLabHashedStorage } from '../../lib/discovery/gitlab-hashed.ts';
import { ConfigError } from '../../lib/common/errors.ts';
import { hashToken } from '../../lib/access/auth.ts';
import { logger } from '../../lib/common/log.ts';
import { within } from '../support/wait.ts';

const root = await makeTempDir('projects');
after(() => removeDir(root));

function bareRepo(path: string): string {
  mkdirSync(join(path, '..'), { recursive: true });
  execFileSync('git', ['init', '-q', '--bare', path]);
  return path;
}

/** What discovery looks at, without git: `objects/`, `refs/` and `HEAD` (git init is slow for thousands). */
function minimalRepo(path: string): string {
  mkdirSync(join(path, 'objects'), { recursive: true });
  mkdirSync(join(path, 'refs'));
  writeFileSync(join(path, 'HEAD'), 'ref: refs/heads/main\n');
  return path;
}

/** 2,000 minimal repositories in 20 groups below `root/<name>`. */
function manyRepos(name: string): string {
  const dir = join(root, name);
  for (let i = 0; i < 2000; i++) minimalRepo(join(dir, `group${i % 20}`, `repo${i}.git`));
  return dir;
}

/** How many event-loop turns went by while `work` ran. */
async function turnsDuring(work: () => Promise<unknown>): Promise<number> {
  let turns = 0;
  let working = true;
  const counting = (async () => {
    while (working) {
      turns++;
      await nextTurn();
    }
  })();
  await work();
  working = false;
  await counting;
  return turns;
}

const indexes: ProjectIndex[] = [];
after(() => indexes.forEach((index) => index.close()));

function indexOf(options: ProxyOptions): ProjectIndex {
  const index = new ProjectIndex(resolveOptions({ moduleHost: 'git.example.com', ...options }));
  indexes.push(index);
  return index;
}

const repos = join(root, 'repos');
bareRepo(join(repos, 'group/sub/name.git'));
bareRepo(join(repos, 'group/plain'));
bareRepo(join(repos, 'golang/sync.git'));
bareRepo(join(repos, 'bad name/x.git')); // not a valid module path element: skipped
mkdirSync(join(repos, 'empty-dir'), { recursive: true });
minimalRepo(join(repos, '.git-goproxy/shadow/hidden.git')); // the proxy's own state: never a project
symlinkSync(repos, join(repos, 'group/loop')); // a link back up: not followed
const elsewhere = bareRepo(join(root, 'elsewhere/tool.git'));

const index = indexOf({
  repos,
  projects: [
    { path: 'golang/sync', id: 7, modulePath: 'golang.org/x/sync' },
    { path: 'tools/tool', id: 9, repo: elsewhere, visibility: 'private' },
  ],
});

describe('the directory tree', () => {
  test('discovers bare repositories and names them by their path without .git', async () => {
    await index.ready;
    assert.equal(index.isReady, true);
    assert.deepEqual(
      index.all().map((p) => p.fullPath),
      ['golang/sync', 'group/plain', 'group/sub/name', 'tools/tool'],
    );
    assert.equal(index.byId('group/sub/name')?.modulePath, 'git.example.com/group/sub/name');
    assert.equal(index.byId('group/sub/name')?.gitDir, join(repos, 'group/sub/name.git'));
  });

  test('config gives ids, vanity module paths, visibility and repositories elsewhere', async () => {
    await index.ready;
    assert.equal(index.byId('7')?.modulePath, 'golang.org/x/sync');
    assert.equal(index.byId('9')?.gitDir, elsewhere);
    assert.equal(index.byId('9')?.visibility, 'private');
    assert.equal(index.byId('group/plain')?.visibility, 'local');
    assert.equal(index.byId('404'), undefined);
  });

  test('module paths find the project with the longest matching prefix', async () => {
    await index.ready;
    assert.deepEqual(index.forModule('git.example.com/group/sub/name/pkg/v2')?.rest, 'pkg/v2');
    assert.equal(index.forModule('git.example.com/group/sub/name')?.project.fullPath, 'group/sub/name');
    assert.equal(index.forModule('golang.org/x/sync/errgroup')?.project.fullPath, 'golang/sync');
    assert.equal(index.forModule('git.example.com/group/sub'), undefined);
    assert.equal(index.forModule('git.example.com/group/sub/namex'), undefined);
  });

  test("Gitea's and Forgejo's <owner>/<repo>.git, and a name taken twice is contested, served from neither", async () => {
    const gitea = join(root, 'gitea');
    minimalRepo(join(gitea, 'alice/tool.git'));
    minimalRepo(join(gitea, 'org/service.git'));
    minimalRepo(join(gitea, 'org/service')); // `org/service` twice
    const found = await new DirectoryTree(gitea).scan(new AbortController().signal);
    assert.deepEqual([...found.repositories].sort(), [['alice/tool', join(gitea, 'alice/tool.git')]]);
    assert.deepEqual([...found.contested], [['org/service', [
      join(gitea, 'org/service'),
      join(gitea, 'org/service.git'),
    ]]]);
    assert.deepEqual([...found.directories].sort(), [gitea, join(gitea, 'alice'), join(gitea, 'org')]);
  });

  test('a repos directory that does not exist holds no projects, and is found once it does', async () => {
    const later = join(root, 'later');
    const empty = indexOf({ repos: later });
    await empty.ready;
    assert.equal(empty.size, 0);
    minimalRepo(join(later, 'a/b.git'));
    await empty.rescan();
    assert.equal(empty.byId('a/b')?.gitDir, join(later, 'a/b.git'));
  });

  test('an invalid vanity module path in the config is a ConfigError at construction', () => {
    assert.throws(() => indexOf({ repos, projects: [{ path: 'golang/sync', modulePath: 'Not A Path' }] }), ConfigError);
  });
});

describe('discovery off the request path', () => {
  test('lookups that miss answer from the index as it is: no scan', async () => {
    const own = indexOf({ repos });
    await own.ready;
    const scans = own.scans;
    assert.equal(scans, 1);
    for (let i = 0; i < 100; i++) {
      assert.equal(own.byId(String(1000 + i)), undefined);
      assert.equal(own.byId(`missing/${i}`), undefined);
      assert.equal(own.forModule(`git.example.com/missing/${i}`), undefined);
    }
    minimalRepo(join(repos, 'fresh/one.git'));
    assert.equal(own.byId('fresh/one'), undefined, 'a miss does not look at the disk');
    await nextTurn();
    assert.equal(own.scans, scans);
    await own.rescan();
    assert.equal(own.byId('fresh/one')?.fullPath, 'fresh/one');
    rmSync(join(repos, 'fresh'), { recursive: true });
    await own.rescan();
    assert.equal(own.byId('fresh/one'), undefined, 'a removed repository is gone after the next scan');
  });

  test('rescans asked for during a scan share one more scan after it', async () => {
    const own = indexOf({ repos });
    await own.ready;
    const first = own.rescan();
    const second = own.rescan();
    const third = own.rescan();
    assert.notEqual(first, second);
    assert.equal(second, third);
    await Promise.all([first, second, third]);
    assert.equal(own.scans, 3);
  });

  test('the interval finds a new repository by itself', async () => {
    const dir = join(root, 'interval');
    minimalRepo(join(dir, 'g/first.git'));
    const own = indexOf({ repos: dir, rescanInterval: 1 });
    own.keepCurrent({ watch: false });
    await own.ready;
    minimalRepo(join(dir, 'g/second.git'));
    await within(10_000, () => own.byId('g/second') !== undefined, 'the interval rescan found g/second');
  });

  test('a watch of the group directories notices a repository added or removed', async () => {
    const dir = join(root, 'watched');
    minimalRepo(join(dir, 'g/first.git'));
    const own = indexOf({ repos: dir, rescanInterval: 3600 });
    own.keepCurrent();
    await own.ready;
    await nextTurn();
    minimalRepo(join(dir, 'g/added.git'));
    minimalRepo(join(dir, 'newgroup/sub/added.git'));
    await within(
      10_000,
      () => own.byId('g/added') !== undefined && own.byId('newgroup/sub/added') !== undefined,
      'the watch found both',
    );
    rmSync(join(dir, 'g/first.git'), { recursive: true });
    await within(10_000, () => own.byId('g/first') === undefined, 'the watch noticed the removal');
  });

  test('close() stops a scan under way; ready resolves and the index stays empty', async () => {
    const own = indexOf({ repos });
    own.close();
    await own.ready;
    assert.equal(own.size, 0);
    own.keepCurrent();
    await own.rescan();
    assert.equal(own.scans, 0);
  });

  test('a scan that fails keeps the projects found before', async () => {
    const tree = new DirectoryTree(repos);
    let calls = 0;
    // A project source whose second scan fails (as a layout that became unreadable midway might).
    const flaky: ProjectSource = {
      layout: 'flaky',
      scan: (signal) => (++calls === 1 ? tree.scan(signal) : Promise.reject(new Error('disk on fire'))),
    };
    const own = new ProjectIndex(resolveOptions({ repos, moduleHost: 'git.example.com' }), flaky);
    indexes.push(own);
    await own.ready;
    const before = own.size;
    assert.ok(before > 0);
    const level = logger.level;
    logger.level = 'silent'; // the failure's error line
    try {
      await own.rescan();
    } finally {
      logger.level = level;
    }
    assert.equal(calls, 2);
    assert.equal(own.size, before);
    assert.equal(own.scans, 1);
  });

  test('a scan of 2,000 repositories gives the event loop back all along', async () => {
    const many = manyRepos('many');
    let own: ProjectIndex | undefined;
    const turns = await turnsDuring(() => (own = indexOf({ repos: many })).ready);
    assert.equal(own?.size, 2000);
    // Each directory is read after an await: a synchronous walk would allow one or two turns.
    assert.ok(turns >= 500, `only ${turns} event-loop turns during the scan`);
  });
});

describe("GitLab's hashed storage", () => {
  const gitlab = join(root, 'gitlab');
  /** `@hashed/ab/cd/<sha256(id)>.git` with `gitlab.fullpath` in its config, as GitLab lays out project `id`. */
  const hashedRepo = (id: number, suffix: string, config: string): string => {
    const hash = createHash('sha256').update(String(id)).digest('hex');
    const dir = minimalRepo(join(gitlab, '@hashed', hash.slice(0, 2), hash.slice(2, 4), `${hash}${suffix}.git`));
    writeFileSync(join(dir, 'config'), config);
    return dir;
  };
  const fullpath = (path: string) =>
    `[core]\n\trepositoryformatversion = 0\n\tbare = true\n[gitlab]\n\tfullpath = ${path}\n`;
  const app = hashedRepo(1, '', fullpath('acme/backend/app'));
  hashedRepo(1, '.wiki', fullpath('acme/backend/app.wiki'));
  hashedRepo(1, '.design', fullpath('acme/backend/app.design'));
  hashedRepo(2, '+2+deleted', fullpath('acme/deleted'));
  hashedRepo(3, '', '[core]\n\tbare = true\n'); // not set up yet: no fullpath
  hashedRepo(4, '', fullpath('../escape'));
  const tool = hashedRepo(5, '', '[GitLab]\n\tFullPath = "acme/tool" ; quoted, with a comment\n');
  minimalRepo(join(gitlab, '@pools/aa/bb/pool.git'));
  minimalRepo(join(gitlab, '@snippets/aa/bb/snippet.git'));
  minimalRepo(join(gitlab, 'legacy/project.git'));

  test('serves each project repository under its gitlab.fullpath; wikis, designs, pools, deleted and unnamed ones are not projects', async () => {
    const found = await new GitLabHashedStorage(gitlab).scan(new AbortController().signal);
    assert.deepEqual([...found.repositories].sort(), [
      ['acme/backend/app', app],
      ['acme/tool', tool],
    ]);
    assert.deepEqual(found.directories, [], 'no watch: GitLab names a repository in its config, not in a directory');
  });

  test('the index detects the layout from repos/@hashed', async () => {
    const own = indexOf({ repos: gitlab, projects: [{ path: 'acme/backend/app', id: 42 }] });
    await own.ready;
    assert.deepEqual(
      own.all().map((p) => p.fullPath),
      ['acme/backend/app', 'acme/tool'],
    );
    assert.equal(own.byId('42')?.gitDir, app);
    assert.equal(own.forModule('git.example.com/acme/tool/cmd')?.project.gitDir, tool);
  });

  test('a project path two repositories claim is served from neither, and the index says so once', async (t) => {
    const twice = join(root, 'gitlab-twice');
    const claim = (id: number, path: string) => {
      const hash = createHash('sha256').update(String(id)).digest('hex');
      const dir = minimalRepo(join(twice, '@hashed', hash.slice(0, 2), hash.slice(2, 4), `${hash}.git`));
      writeFileSync(join(dir, 'config'), fullpath(path));
      return dir;
    };
    const [first, second] = [claim(10, 'acme/app'), claim(11, 'acme/app')];
    const kept = claim(12, 'acme/other');
    const found = await new GitLabHashedStorage(twice).scan(new AbortController().signal);
    assert.deepEqual([...found.repositories], [['acme/other', kept]]);
    assert.deepEqual([...found.contested], [['acme/app', [first, second].sort()]]);
    const warn = t.mock.method(logger, 'warn', () => undefined);
    const own = indexOf({ repos: twice });
    await own.ready;
    assert.deepEqual(own.all().map((p) => p.fullPath), ['acme/other']);
    assert.equal(own.forModule('git.example.com/acme/app'), undefined);
    const line = `project acme/app is claimed by 2 repositories (${
      [first, second].sort().join(', ')
    }): none of them is served`;
    assert.deepEqual(own.conflicts(), [line]);
    await own.rescan();
    assert.deepEqual(warn.mock.calls.map((call) => call.arguments[0]), [line], 'logged once, not at every scan');
  });

  test('a config that cannot be read for another reason than absence fails the scan: the projects found before stay', async () => {
    const hash = createHash('sha256').update('20').digest('hex');
    const dir = minimalRepo(
      join(root, 'gitlab-unreadable', '@hashed', hash.slice(0, 2), hash.slice(2, 4), `${hash}.git`),
    );
    mkdirSync(join(dir, 'config')); // reading it fails with EISDIR, as with EMFILE or EIO: no answer about the project
    await assert.rejects(
      new GitLabHashedStorage(join(root, 'gitlab-unreadable')).scan(new AbortController().signal),
      (error: NodeJS.ErrnoException) => error.code === 'EISDIR',
    );
  });

  test('git config values: sections and keys in any case, quotes, escapes, comments, the last one wins', () => {
    const text = [
      '[core]',
      '\tfullpath = not/this',
      '[gitlab "sub"]',
      '\tfullpath = nor/this',
      '[gitlab]',
      '\tfullpath = first/one',
      '  FULLPATH = "a \\"b\\"\\\\c" # comment',
      '\tflag',
      '[other]',
      '\tfullpath = nor/that',
    ].join('\n');
    assert.equal(gitConfigValue(text, 'gitlab', 'fullpath'), 'a "b"\\c');
    assert.equal(gitConfigValue('[gitlab]\n\tfullpath =   spaced  out  \n', 'gitlab', 'fullpath'), 'spaced  out');
    assert.equal(gitConfigValue('[gitlab]\n\tfullpath = "unterminated\n', 'gitlab', 'fullpath'), undefined);
    assert.equal(gitConfigValue('[gitlab]\n\tfullpath = bad\\qescape\n', 'gitlab', 'fullpath'), undefined);
    assert.equal(gitConfigValue('[gitlab]\n\tflag\n', 'gitlab', 'flag'), undefined);
  });
});

test("nested: each project inside another project's module path, with every outer one (vanity paths too)", async () => {
  const nestedRepos = join(root, 'nested');
  for (const path of ['corp.git', 'corp/internal.git', 'corp/internal/deep.git', 'other/x.git']) {
    bareRepo(join(nestedRepos, path));
  }
  const nestedIndex = new ProjectIndex(
    resolveOptions({ repos: nestedRepos, projects: [{ path: 'other/x', modulePath: 'go.localhost/corp/x' }] }),
  );
  await nestedIndex.ready;
  const pairs = nestedIndex.nested().map(({ outer, inner }) => `${outer.fullPath} > ${inner.fullPath}`);
  assert.deepEqual(pairs.sort(), [
    'corp > corp/internal',
    'corp > corp/internal/deep',
    'corp > other/x',
    'corp/internal > corp/internal/deep',
  ]);
  assert.deepEqual(index.nested(), []);
});

describe('a config reload (reconfigure)', () => {
  const secret = 'ggp_reload';
  const caller = (headers: Record<string, string>) => ({ headers, remoteAddress: '10.0.0.1' });

  /** An index of `dir`, and the options it was made with (to reload with changes). */
  function reloadable(dir: string) {
    const options = resolveOptions({ repos: dir, moduleHost: 'git.example.com' });
    const own = new ProjectIndex(options);
    indexes.push(own);
    return { own, options };
  }

  /** A source over the directory tree whose scans wait for `release()` once `hold()` was called, and that counts them. */
  function gatedSource(dir: string) {
    const tree = new DirectoryTree(dir);
    let gate: Promise<void> | undefined;
    let release = () => {};
    const source = {
      scans: 0,
      hold: () => {
        gate = new Promise((resolve) => (release = resolve));
      },
      release: () => release(),
      layout: 'gated',
      scan: async (signal: AbortSignal) => {
        source.scans++;
        const found = await tree.scan(signal);
        await gate;
        return found;
      },
    };
    return source;
  }

  test('applies projects, visibility, tokens and group ids together from the last scan, without scanning', async () => {
    const source = gatedSource(repos);
    const options = resolveOptions({ repos, moduleHost: 'git.example.com' });
    const own = new ProjectIndex(options, source);
    indexes.push(own);
    await own.ready;
    assert.equal(own.tokens.authenticate(caller({ 'private-token': secret })).caller.tokenName, undefined);
    assert.equal(own.groupPath('12'), undefined);
    const before = own.all();

    await own.reconfigure({
      ...options,
      moduleHost: 'go.example.org',
      defaultVisibility: 'public',
      projects: [{ path: 'group/plain', id: 3, visibility: 'private' }],
      tokens: [{ name: 'ci', sha256: hashToken(secret), grants: ['group/**'] }],
      groups: [{ path: 'group/sub', id: 12 }],
    });
    assert.equal(source.scans, 1, 'the disk is not read again');
    assert.deepEqual(own.all().map((p) => p.fullPath), before.map((p) => p.fullPath));
    assert.equal(own.byId('3')?.visibility, 'private');
    assert.equal(own.byId('group/sub/name')?.visibility, 'public');
    assert.equal(own.forModule('go.example.org/group/sub/name')?.project.fullPath, 'group/sub/name');
    assert.equal(own.forModule('git.example.com/group/sub/name'), undefined);
    assert.equal(own.tokens.authenticate(caller({ 'private-token': secret })).caller.tokenName, 'ci');
    assert.equal(own.groupPath('12'), 'group/sub');
    assert.equal(own.groupPath('13'), undefined);
    assert.equal(own.groupPath('group'), 'group', 'a path is a path');
  });

  test('an invalid vanity path is refused and changes nothing', async () => {
    const { own, options } = reloadable(repos);
    await own.ready;
    const before = own.all();
    assert.throws(
      () =>
        own.reconfigure({
          ...options,
          defaultVisibility: 'public',
          projects: [{ path: 'group/plain', modulePath: 'no dot/x' }],
        }),
      (e: unknown) => e instanceof ConfigError && /group\/plain: modulePath/.test(e.message),
    );
    assert.equal(own.all(), before);
  });

  test('a scan under way when a reload arrives does not bring back the old config, and the reload keeps what the scan found', async () => {
    const dir = join(root, 'reload-during-scan');
    minimalRepo(join(dir, 'a/one.git'));
    const source = gatedSource(dir);
    const options = resolveOptions({ repos: dir, moduleHost: 'git.example.com' });
    const own = new ProjectIndex(options, source);
    indexes.push(own);
    await own.ready;
    source.hold();
    minimalRepo(join(dir, 'a/two.git'));
    const scanning = own.rescan();
    await within(5000, () => source.scans === 2, 'the second scan started');
    await own.reconfigure({ ...options, defaultVisibility: 'public' });
    assert.deepEqual(
      own.all().map((p) => `${p.fullPath} ${p.visibility}`),
      ['a/one public'],
      'applied at once, from the last completed scan',
    );
    source.release();
    await scanning;
    assert.deepEqual(own.all().map((p) => `${p.fullPath} ${p.visibility}`), ['a/one public', 'a/two public']);
  });

  test('reloads in a row: the last one is in force when each resolves', async () => {
    const { own, options } = reloadable(repos);
    await own.ready;
    const first = own.reconfigure({ ...options, defaultVisibility: 'public' });
    const second = own.reconfigure({ ...options, defaultVisibility: 'private' });
    await first;
    assert.equal(own.byId('group/plain')?.visibility, 'private');
    await second;
    assert.equal(own.byId('group/plain')?.visibility, 'private');
  });

  test('a reload before the first scan completes is what the first scan is indexed with', async () => {
    const { own, options } = reloadable(repos);
    const reloaded = own.reconfigure({ ...options, defaultVisibility: 'public' });
    await own.ready;
    await reloaded;
    assert.equal(own.byId('group/plain')?.visibility, 'public');
  });

  test('a reload of 2,000 projects gives the event loop back while it indexes them', async () => {
    const { own, options } = reloadable(manyRepos('many-reload'));
    await own.ready;
    const turns = await turnsDuring(() => own.reconfigure({ ...options, defaultVisibility: 'public' }));
    assert.equal(own.byId('group3/repo3')?.visibility, 'public');
    // 500 projects per turn: a synchronous rebuild would allow one turn.
    assert.ok(turns >= 4, `only ${turns} event-loop turns during the reload`);
  });

  test('a reload after close rejects and changes nothing', async () => {
    const { own, options } = reloadable(repos);
    await own.ready;
    own.close();
    await assert.rejects(own.reconfigure({ ...options, defaultVisibility: 'public' }));
    assert.equal(own.byId('group/plain')?.visibility, 'local');
  });
});
