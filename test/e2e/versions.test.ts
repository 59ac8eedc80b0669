/**
 * Every version the go command can ask for, proven against its own direct mode: subdirectory
 * modules, major versions (subdirectory and branch), `+incompatible`, synthesized go.mod files,
 * upper-case paths, queries by tag, branch, hash, HEAD and pseudo-version (valid and invalid),
 * retractions, and the prefix probing of `go get <module>/<pkg>` — through the instance endpoint and
 * GitLab's project endpoint. Fixtures: test/support/version-fixtures.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type DirectOracle, startDirectOracle } from '../support/direct-oracle.ts';
import {
  type DownloadedModule,
  goGet,
  goListLatest,
  goListVersions,
  goModDownload,
  type GoMode,
} from '../support/go-client.ts';
import { type RunningProxy, startProxy } from '../support/proxy-server.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';
import { buildVersionFixtures, moduleOf, type VersionFixtures } from '../support/version-fixtures.ts';

const LAYOUT = moduleOf('group/layout');
const MAJOR_BRANCH = moduleOf('group/majorbranch');
const LEGACY = moduleOf('group/legacy');
const REFUSED = moduleOf('group/refused');
const UPPER = moduleOf('group/MyLib');
const NO_TAGS = moduleOf('group/notags');

/** Every module path the tests ask about, with the project that holds it. */
const MODULES: ReadonlyArray<[module: string, project: string]> = [
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

/**
 * Paths below a project that are no module at any tag nor at the default branch head. Direct mode
 * cannot tell (it lists the path's tags: none); the proxy answers 404, so that the go command's
 * probes of package paths move on (`cmd/go/internal/modload/query.go` `queryPrefixModules` skips a
 * 404 silently) — a deliberate difference.
 */
const NOT_MODULES: ReadonlySet<string> = new Set([`${MAJOR_BRANCH}/sub`]);

const projectOf = (module: string): string => MODULES.find(([m]) => m === module)![1];
const short = (commit: string): string => commit.slice(0, 12);

/** The queries to download, per module, built from the fixtures' commit ids. */
function downloadQueries(f: VersionFixtures): Array<[module: string, query: string]> {
  const { layout, majorBranch, legacy, noTags } = f;
  return [
    // tags: lightweight, annotated, pre-release, two on one commit, retracted, not Go versions, unknown
    ...[
      'v1.0.0',
      'v1.1.0',
      'v1.1.0-rc.2',
      'v1.2.0',
      'v1.3.0',
      'v1.0',
      '1.0.0',
      'release-1',
      'v1.2.3+meta',
      'v1.2.3',
      'v9.9.9',
    ].map(
      (q) => [LAYOUT, q] as [string, string],
    ),
    // branches, HEAD, hashes (short, 12, full), a hash that names nothing
    ...[
      'main',
      'next',
      'side',
      'HEAD',
      layout.first.slice(0, 7),
      short(layout.second),
      layout.third,
      layout.pastPreRelease,
      'deadbeef',
    ].map(
      (q) => [LAYOUT, q] as [string, string],
    ),
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
}

/** Runs `work` over `items` with at most `limit` at a time, results in input order. */
async function inParallel<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * What a go error says after `module@version: ` on its last line ("invalid version: unknown
 * revision v9.9.9"): the proxy's 404 text must say the same.
 */
function reasonOf(error: string): string | undefined {
  const lastLine = error.trim().split('\n').at(-1)!;
  const at = lastLine.indexOf(': ');
  return at < 0 ? undefined : lastLine.slice(at + 2);
}

/** What differs between a direct-mode download and one through the proxy, or undefined when they agree. */
function compareDownloads(
  direct: DownloadedModule | undefined,
  viaProxy: DownloadedModule | undefined,
): string | undefined {
  if (direct?.Error !== undefined) {
    if (viaProxy?.Error === undefined) return `direct failed (${direct.Error}), the proxy gave ${viaProxy?.Version}`;
    const reason = reasonOf(direct.Error);
    return reason === undefined || viaProxy.Error.includes(reason)
      ? undefined
      : `error ${viaProxy.Error} lacks the reason of direct mode's ${direct.Error}`;
  }
  if (viaProxy?.Error !== undefined) return `direct gave ${direct?.Version}, the proxy failed: ${viaProxy.Error}`;
  for (const field of ['Version', 'Sum', 'GoModSum'] as const) {
    if (viaProxy?.[field] !== direct?.[field]) return `${field} ${viaProxy?.[field]} instead of ${direct?.[field]}`;
  }
  return undefined;
}

const PARALLEL_GO_RUNS = 6;

describe('module layouts and versions agree with direct mode', () => {
  let root: string;
  let fixtures: VersionFixtures;
  let oracle: DirectOracle;
  let proxy: RunningProxy;

  /** The proxy endpoints a module is fetched through: instance-wide and its project's. */
  const endpoints = (module: string): Array<[name: string, mode: GoMode]> => [
    ['instance', { proxy: proxy.url }],
    ['project', { proxy: `${proxy.url}/api/v4/projects/${encodeURIComponent(projectOf(module))}/packages/go` }],
  ];

  before(async () => {
    root = await makeTempDir('versions');
    fixtures = await buildVersionFixtures(root);
    oracle = await startDirectOracle(root);
    proxy = await startProxy({ repos: root, moduleHost: '127.0.0.1' });
  });

  after(async () => {
    await proxy?.close();
    await oracle?.close();
    await removeDir(root);
  });

  test('go list -m -versions', async () => {
    await inParallel(MODULES, PARALLEL_GO_RUNS, async ([module]) => {
      const direct = await goListVersions(module, oracle.mode);
      for (const [name, mode] of endpoints(module)) {
        const viaProxy = await goListVersions(module, mode);
        if (NOT_MODULES.has(module)) {
          assert.deepEqual(direct.versions, [], direct.stderr);
          assert.match(viaProxy.stderr, /404 Not Found/, `${module} via ${name}`);
          continue;
        }
        assert.equal(
          viaProxy.exitCode === 0,
          direct.exitCode === 0,
          `${module} via ${name}: ${viaProxy.stderr} / direct: ${direct.stderr}`,
        );
        assert.deepEqual(viaProxy.versions, direct.versions, `${module} via ${name}`);
      }
    });
  });

  test('go list -m -json M@latest (retracted versions skipped)', async () => {
    await inParallel(MODULES, PARALLEL_GO_RUNS, async ([module]) => {
      const direct = await goListLatest(module, oracle.mode);
      for (const [name, mode] of endpoints(module)) {
        const viaProxy = await goListLatest(module, mode);
        assert.equal(
          viaProxy.exitCode === 0,
          direct.exitCode === 0,
          `${module} via ${name}: ${viaProxy.stderr} / direct: ${direct.stderr}`,
        );
        assert.equal(viaProxy.json?.Version, direct.json?.Version, `${module} via ${name}`);
        assert.equal(viaProxy.json?.Time, direct.json?.Time, `${module} via ${name}`);
      }
    });
  });

  test('go mod download -json M@query: tags, branches, hashes, HEAD, pseudo-versions', async () => {
    const mismatches: string[] = [];
    await inParallel(downloadQueries(fixtures), PARALLEL_GO_RUNS, async ([module, query]) => {
      const target = `${module}@${query}`;
      const direct = await goModDownload(target, oracle.mode);
      for (const [name, mode] of endpoints(module)) {
        const problem = compareDownloads(direct.json, (await goModDownload(target, mode)).json);
        if (problem !== undefined) mismatches.push(`${target} via ${name}: ${problem}`);
      }
    });
    assert.deepEqual(mismatches, []);
  });

  test('go get <module>/<pkg> finds the module through its prefixes', async () => {
    for (const target of [`${LAYOUT}/some/pkg@v1.2.0`, `${LAYOUT}/sub@latest`]) {
      const direct = await goGet(target, oracle.mode);
      assert.equal(direct.exitCode, 0, direct.stderr);
      const viaProxy = await goGet(target, { proxy: proxy.url });
      assert.equal(viaProxy.exitCode, 0, `${target}: ${viaProxy.stderr}`);
      assert.equal(viaProxy.goMod, direct.goMod, target);
      assert.equal(viaProxy.goSum, direct.goSum, target);
    }
  });

  test('prefixes and package paths that are no module: 404 or 410 at once, never 5xx', async () => {
    const probes = [
      `/${moduleOf('group')}/@v/list`,
      `/${moduleOf('group')}/@latest`,
      `/${LAYOUT}/some/pkg/@v/list`,
      `/${LAYOUT}/some/@latest`,
      `/${LAYOUT}/some/pkg/@v/v1.2.0.info`,
      `/${LAYOUT}/nomod/@v/v1.0.0.mod`,
      `/${LAYOUT}/nomod/@latest`,
      `/${MAJOR_BRANCH}/sub/@v/list`,
      `/${moduleOf('group/nope')}/@v/list`,
      `/api/v4/projects/${encodeURIComponent('group/layout')}/packages/go/${LAYOUT}/some/pkg/@v/list`,
      `/api/v4/projects/${encodeURIComponent('group/layout')}/packages/go/${LEGACY}/@v/list`,
    ];
    for (const path of probes) {
      const started = performance.now();
      const response = await fetch(`${proxy.url}${path}`);
      await response.arrayBuffer();
      assert.ok(response.status === 404 || response.status === 410, `${path}: ${response.status}`);
      assert.ok(performance.now() - started < 2000, `${path} took ${performance.now() - started} ms`);
    }
  });

  test('on the wire: whole lists, escaped upper case, synthesized go.mod, refusals with reasons', async () => {
    const text = async (path: string, status = 200) => {
      const response = await fetch(`${proxy.url}${path}`);
      const body = await response.text();
      assert.equal(response.status, status, `${path}: ${body}`);
      return body;
    };
    assert.equal(
      await text(`/${LAYOUT}/@v/list`),
      'v1.0.0\nv1.1.0-rc.2\nv1.1.0\nv1.2.0\nv1.3.0\nv1.4.0-rc.1\n',
      'retracted v1.3.0 stays listed',
    );
    assert.equal(await text(`/${LEGACY}/@v/list`), 'v1.0.0\nv2.0.0+incompatible\nv3.1.0+incompatible\n');
    assert.equal(await text(`/${LEGACY}/@v/v2.0.0+incompatible.mod`), `module ${LEGACY}\n`);
    assert.equal(await text(`/${LEGACY}/@v/v1.0.0.mod`), `module ${LEGACY}\n`);
    assert.equal(await text(`/${moduleOf('group/!my!lib')}/@v/list`), 'v1.0.0\n');
    assert.match(await text(`/${moduleOf('group/MyLib')}/@v/list`, 400), /^bad request/);
    assert.equal(await text(`/${NO_TAGS}/@v/list`), '');
    const latest = JSON.parse(await text(`/${NO_TAGS}/@latest`)) as { Version: string };
    assert.equal(latest.Version, `v0.0.0-20220802123456-${short(fixtures.noTags.head)}`);
    const head = short(fixtures.layout.head);
    assert.match(
      await text(`/${LAYOUT}/@v/v1.3.1-0.20230501000001-${head}.info`, 404),
      /invalid pseudo-version: does not match version-control timestamp \(expected 20230501000000\)/,
    );
    assert.match(
      await text(`/${LAYOUT}/@v/v1.3.1-0.20230501000001-${head}.zip`, 404),
      /does not match version-control timestamp/,
    );
    assert.match(await text(`/${REFUSED}/@v/v2.0.0+incompatible.info`, 404), /invalid version/);
    const main = JSON.parse(await text(`/${LAYOUT}/@v/main.info`)) as { Version: string };
    assert.equal(main.Version, `v1.2.4-0.20230501000000-${head}`, 'based on v1.2.3+meta: v1.3.0 is retracted');
  });
});
