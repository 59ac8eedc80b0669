/**
 * The repositories behind the module-layout and version tests (test/e2e/versions.test.ts): one of
 * each layout the go command knows, with fixed dates so every pseudo-version is known in advance.
 *
 * - `group/layout`: a root module with lightweight and annotated tags, tags that are not Go
 *   versions, two tags on one commit, a subdirectory module (`sub/`), a directory without go.mod
 *   that has a tag anyway (`nomod/`), a major-version subdirectory (`v2/`), a release that retracts
 *   itself, a pre-release branch, a side branch and commits past the last tag.
 * - `group/majorbranch`: v1 on an old commit, then the root go.mod declaring `/v2` (major branch)
 *   and `sub/go.mod` declaring `sub/v2`.
 * - `group/legacy`: never a go.mod; v2+ tags are `+incompatible`.
 * - `group/refused`: a go.mod at every tag, v2.0.0 included: no `+incompatible`.
 * - `group/MyLib`: an upper-case module path (`!my!lib` on the wire).
 * - `group/notags`: commits only; HEAD is branch `trunk`, and a branch `main` went elsewhere.
 *
 * And, for test/e2e/foundation.test.ts, `group/app` alone (`buildAppFixture`): a root module with
 * a lightweight and an annotated tag, tags that are not Go versions, and a commit past the tags.
 *
 * Also the questions asked about them (modules, download queries, `go get` targets): the
 * direct-mode oracle (test/oracle/versions.test.ts) records the go command's answers to them in
 * test/oracle/versions.json, and test/e2e/versions.test.ts asks the proxy the same questions.
 */
import { DIRECT_HOST } from './go-client.ts';
import { createRepo } from './git-fixture.ts';

/** The module path of a project under the oracle's host. */
export const moduleOf = (fullPath: string): string => `${DIRECT_HOST}/${fullPath}`;

/** Commit ids the tests build queries from. */
export interface VersionFixtures {
  readonly layout: {
    /** Tagged v1.0.0, 1.0.0, v1.0, release-1, sub/v1.0.0, nomod/v1.0.0. */
    readonly first: string;
    /** Tagged v1.1.0 (annotated) and v1.1.0-rc.2. */
    readonly second: string;
    /** Tagged v1.2.0, v2.0.0 (served by `v2/`), v1.2.3+meta. */
    readonly third: string;
    /** Tagged v1.3.0, whose go.mod retracts v1.3.0. */
    readonly retracting: string;
    /** The default branch head, past every tag. */
    readonly head: string;
    /** Branch `next`: a pre-release tag v1.4.0-rc.1, then a commit past it. */
    readonly preRelease: string;
    readonly pastPreRelease: string;
    /** Branch `side`, forked from `first` (so v1.1.0 is not its ancestor). */
    readonly side: string;
  };
  readonly majorBranch: { readonly v1: string; readonly v2: string; readonly head: string };
  readonly legacy: { readonly v3: string; readonly head: string };
  readonly noTags: { readonly head: string; readonly main: string };
}

export const LAYOUT = moduleOf('group/layout');
export const MAJOR_BRANCH = moduleOf('group/majorbranch');
export const LEGACY = moduleOf('group/legacy');
export const REFUSED = moduleOf('group/refused');
export const UPPER = moduleOf('group/MyLib');
export const NO_TAGS = moduleOf('group/notags');

/** Every module path the tests ask about, with the project that holds it. */
export const MODULES: ReadonlyArray<[module: string, project: string]> = [
  [LAYOUT, 'group/layout'],
  [`${LAYOUT}/sub`, 'group/layout'],
  [`${LAYOUT}/nomod`, 'group/layout'],
  [`${LAYOUT}/v2`, 'group/layout'],
  [MAJOR_BRANCH, 'group/majorbranch'],
  [`${MAJOR_BRANCH}/v2`, 'group/majorbranch'],
  [`${MAJOR_BRANCH}/sub`, 'group/majorbranch'],
  [`${MAJOR_BRANCH}/sub/v2`, 'group/majorbranch'],
  [LEGACY, 'group/legacy'],
  [REFUSED, 'group/refused'],
  [UPPER, 'group/MyLib'],
  [NO_TAGS, 'group/notags'],
];

/** `go get` targets below a module (package paths, a module in a subdirectory by prefix). */
export const GET_TARGETS: readonly string[] = [`${LAYOUT}/some/pkg@v1.2.0`, `${LAYOUT}/sub@latest`];

const short = (commit: string): string => commit.slice(0, 12);

/** The `module@query` targets to download, built from the fixtures' commit ids. */
export function downloadTargets(f: VersionFixtures): string[] {
  const { layout, majorBranch, legacy, noTags } = f;
  const queries: Array<[module: string, query: string]> = [
    // tags: lightweight, annotated, pre-release, two on one commit, retracted, not Go versions, unknown
    ...['v1.0.0', 'v1.1.0', 'v1.1.0-rc.2', 'v1.2.0', 'v1.3.0', 'v1.0', '1.0.0', 'release-1', 'v1.2.3+meta', 'v1.2.3']
      .map((q) => [LAYOUT, q] as [string, string]),
    [LAYOUT, 'v9.9.9'],
    // branches, HEAD, hashes (short, 12, full), a hash that names nothing
    ...['main', 'next', 'side', 'HEAD', layout.first.slice(0, 7), short(layout.second), layout.third].map((q) =>
      [LAYOUT, q] as [string, string]
    ),
    [LAYOUT, layout.pastPreRelease],
    [LAYOUT, 'deadbeef'],
    // pseudo-versions, valid: the three forms
    [LAYOUT, `v1.3.1-0.20230501000000-${short(layout.head)}`],
    [LAYOUT, `v1.4.0-rc.1.0.20230602000000-${short(layout.pastPreRelease)}`],
    [LAYOUT, `v1.0.1-0.20230215000000-${short(layout.side)}`],
    [LAYOUT, `v0.0.0-20230501000000-${short(layout.head)}`],
    [NO_TAGS, `v0.0.0-20220802123456-${short(noTags.head)}`],
    [`${MAJOR_BRANCH}/v2`, `v2.0.0-20230310000000-${short(majorBranch.head)}`],
    [LEGACY, `v3.1.1-0.20220401000000-${short(legacy.head)}+incompatible`],
    // pseudo-versions, invalid: timestamp, revision length, base not an ancestor, v1 without base, tag already canonical
    [LAYOUT, `v1.3.1-0.20230501000001-${short(layout.head)}`],
    [LAYOUT, `v1.3.1-0.20230501000000-${layout.head.slice(0, 11)}`],
    [LAYOUT, `v1.3.1-0.20230501000000-${layout.head.slice(0, 16)}`],
    [LAYOUT, `v1.1.1-0.20230215000000-${short(layout.side)}`],
    [LAYOUT, `v1.1.1-0.20230201043000-${short(layout.second)}`],
    [NO_TAGS, `v1.0.0-20220802123456-${short(noTags.head)}`],
    [LAYOUT, `v2.0.0-20230501000000-${short(layout.head)}`],
    // +incompatible where a go.mod forbids it
    [LAYOUT, 'v2.0.0+incompatible'],
    [LAYOUT, 'v2.0.0'],
    // subdirectory modules, a directory that is no module, major subdirectory
    ...['v1.0.0', 'main', layout.first].map((q) => [`${LAYOUT}/sub`, q] as [string, string]),
    ...['v1.0.0', 'main'].map((q) => [`${LAYOUT}/nomod`, q] as [string, string]),
    ...['v2.0.0', 'main', 'v1.2.0', short(layout.third)].map((q) => [`${LAYOUT}/v2`, q] as [string, string]),
    // major branch and sub/v2
    ...['v1.0.0', 'v2.0.0', 'v2.0.0+incompatible', 'main', majorBranch.v1].map((q) =>
      [MAJOR_BRANCH, q] as [string, string]
    ),
    ...['v2.0.0', 'v1.0.0', 'main', majorBranch.v2.slice(0, 7)].map((q) =>
      [`${MAJOR_BRANCH}/v2`, q] as [string, string]
    ),
    ...['v2.0.0', 'main'].map((q) => [`${MAJOR_BRANCH}/sub/v2`, q] as [string, string]),
    [`${MAJOR_BRANCH}/sub`, 'main'],
    // +incompatible without go.mod, synthesized go.mod
    ...['v1.0.0', 'v2.0.0+incompatible', 'v2.0.0', 'v3.1.0+incompatible', 'v3.1.0', 'main', legacy.v3].map((q) =>
      [LEGACY, q] as [string, string]
    ),
    ...['v1.0.0', 'v2.0.0', 'v2.0.0+incompatible'].map((q) => [REFUSED, q] as [string, string]),
    ...['v1.0.0', 'main'].map((q) => [UPPER, q] as [string, string]),
    ...['main', 'trunk', 'HEAD', short(noTags.head), noTags.main.slice(0, 9)].map((q) =>
      [NO_TAGS, q] as [string, string]
    ),
  ];
  return queries.map(([module, query]) => `${module}@${query}`);
}

/** The module of `buildAppFixture`. */
export const APP = moduleOf('group/app');

/** `group/app` under `root`: v1.0.0 (lightweight, with `1.0.0`), v1.1.0 (annotated, with `release-1`), a commit past them. */
export async function buildAppFixture(root: string): Promise<void> {
  const repo = await createRepo(root, 'group/app');
  await repo.commit(
    {
      'go.mod': `module ${APP}\n\ngo 1.19\n`,
      'app.go': 'package app\n\nfunc Answer() int { return 41 }\n',
      'LICENSE': 'MIT\n',
    },
    { date: '2023-05-06T07:08:09+02:00' },
  );
  await repo.tag('v1.0.0');
  await repo.tag('1.0.0'); // not a Go version: never listed
  await repo.commit(
    { 'app.go': 'package app\n\nfunc Answer() int { return 42 }\n', 'internal/x/x.go': 'package x\n' },
    { date: '2023-06-01T00:00:00Z' },
  );
  await repo.tag('v1.1.0', undefined, { annotated: true, date: '2023-06-02T00:00:00Z' });
  await repo.tag('release-1');
  await repo.commit({ 'later.go': 'package app\n' }, { date: '2023-07-01T00:00:00Z' });
}

const goMod = (modulePath: string, extra = ''): string => `module ${modulePath}\n\ngo 1.19\n${extra}`;

/** Builds every fixture repository under `root`. */
export async function buildVersionFixtures(root: string): Promise<VersionFixtures> {
  const [layout, majorBranch, legacy, noTags] = await Promise.all([
    buildLayout(root),
    buildMajorBranch(root),
    buildLegacy(root),
    buildNoTags(root),
    buildRefused(root),
    buildUpperCase(root),
  ]);
  return { layout, majorBranch, legacy, noTags };
}

async function buildLayout(root: string): Promise<VersionFixtures['layout']> {
  const M = moduleOf('group/layout');
  const repo = await createRepo(root, 'group/layout');
  const first = await repo.commit(
    {
      'go.mod': goMod(M),
      'layout.go': 'package layout\n',
      'some/pkg/pkg.go': 'package pkg\n',
      'sub/go.mod': goMod(`${M}/sub`),
      'sub/sub.go': 'package sub\n',
      'nomod/nomod.go': 'package nomod\n',
    },
    { date: '2023-01-01T00:00:00Z', message: 'first' },
  );
  for (const name of ['v1.0.0', '1.0.0', 'v1.0', 'release-1', 'sub/v1.0.0', 'nomod/v1.0.0']) await repo.tag(name);
  const second = await repo.commit({ 'layout.go': 'package layout\n\nconst Second = 2\n' }, {
    date: '2023-02-01T10:00:00+05:30',
    message: 'second',
  });
  await repo.tag('v1.1.0', undefined, { annotated: true, date: '2023-02-02T00:00:00Z' });
  await repo.tag('v1.1.0-rc.2');
  const third = await repo.commit({ 'v2/go.mod': goMod(`${M}/v2`), 'v2/v2.go': 'package v2\n' }, {
    date: '2023-03-01T00:00:00Z',
    message: 'third',
  });
  for (const name of ['v1.2.0', 'v2.0.0', 'v1.2.3+meta']) await repo.tag(name);
  const retracting = await repo.commit({ 'go.mod': goMod(M, '\nretract v1.3.0 // published by mistake\n') }, {
    date: '2023-04-01T00:00:00Z',
    message: 'retract',
  });
  await repo.tag('v1.3.0', undefined, { annotated: true });
  const head = await repo.commit({ 'later.go': 'package layout\n' }, {
    date: '2023-05-01T00:00:00Z',
    message: 'past the tags',
  });
  const preRelease = await repo.commit({ 'next.go': 'package layout\n' }, {
    date: '2023-06-01T00:00:00Z',
    branch: 'next',
    parents: [head],
  });
  await repo.tag('v1.4.0-rc.1');
  const pastPreRelease = await repo.commit({ 'next2.go': 'package layout\n' }, {
    date: '2023-06-02T00:00:00Z',
    branch: 'next',
  });
  const side = await repo.commit({ 'side.go': 'package layout\n' }, {
    date: '2023-02-15T00:00:00Z',
    branch: 'side',
    parents: [first],
  });
  return { first, second, third, retracting, head, preRelease, pastPreRelease, side };
}

async function buildMajorBranch(root: string): Promise<VersionFixtures['majorBranch']> {
  const M = moduleOf('group/majorbranch');
  const repo = await createRepo(root, 'group/majorbranch');
  const v1 = await repo.commit({ 'go.mod': goMod(M), 'mb.go': 'package mb\n' }, { date: '2023-01-10T00:00:00Z' });
  await repo.tag('v1.0.0');
  const v2 = await repo.commit(
    { 'go.mod': goMod(`${M}/v2`), 'sub/go.mod': goMod(`${M}/sub/v2`), 'sub/sub.go': 'package sub\n' },
    { date: '2023-02-10T00:00:00Z' },
  );
  await repo.tag('v2.0.0');
  await repo.tag('sub/v2.0.0');
  const head = await repo.commit({ 'more.go': 'package mb\n' }, { date: '2023-03-10T00:00:00Z' });
  return { v1, v2, head };
}

async function buildLegacy(root: string): Promise<VersionFixtures['legacy']> {
  const repo = await createRepo(root, 'group/legacy');
  await repo.commit({ 'legacy.go': 'package legacy\n' }, { date: '2022-01-01T00:00:00Z' });
  await repo.tag('v1.0.0');
  await repo.commit({ 'legacy.go': 'package legacy\n\nconst V = 2\n' }, { date: '2022-02-01T00:00:00Z' });
  await repo.tag('v2.0.0');
  const v3 = await repo.commit({ 'legacy.go': 'package legacy\n\nconst V = 3\n' }, { date: '2022-03-01T00:00:00Z' });
  await repo.tag('v3.1.0', undefined, { annotated: true });
  const head = await repo.commit({ 'more.go': 'package legacy\n' }, { date: '2022-04-01T00:00:00Z' });
  return { v3, head };
}

async function buildRefused(root: string): Promise<void> {
  const M = moduleOf('group/refused');
  const repo = await createRepo(root, 'group/refused');
  await repo.commit({ 'go.mod': goMod(M), 'refused.go': 'package refused\n' }, { date: '2022-05-01T00:00:00Z' });
  await repo.tag('v1.0.0');
  await repo.commit({ 'refused.go': 'package refused\n\nconst V = 2\n' }, { date: '2022-06-01T00:00:00Z' });
  await repo.tag('v2.0.0');
}

async function buildUpperCase(root: string): Promise<void> {
  const repo = await createRepo(root, 'group/MyLib');
  await repo.commit({ 'go.mod': goMod(moduleOf('group/MyLib')), 'lib.go': 'package MyLib\n' }, {
    date: '2022-07-01T00:00:00Z',
  });
  await repo.tag('v1.0.0');
}

async function buildNoTags(root: string): Promise<VersionFixtures['noTags']> {
  const repo = await createRepo(root, 'group/notags', { defaultBranch: 'trunk' });
  const first = await repo.commit({ 'go.mod': goMod(moduleOf('group/notags')), 'a.go': 'package notags\n' }, {
    date: '2022-08-01T00:00:00Z',
  });
  const head = await repo.commit({ 'b.go': 'package notags\n' }, { date: '2022-08-02T12:34:56Z' });
  const main = await repo.commit({ 'c.go': 'package notags\n' }, {
    date: '2022-09-01T00:00:00Z',
    branch: 'main',
    parents: [first],
  });
  return { head, main };
}
