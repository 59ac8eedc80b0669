/**
 * Every version the go command can ask for, through the instance endpoint and GitLab's project
 * endpoint, must get the answer the go command gets in direct mode, as test/oracle/versions.json
 * records it (`npm run test:oracle` proves the table): subdirectory modules, major versions
 * (subdirectory and branch), `+incompatible`, synthesized go.mod files, upper-case paths, queries by
 * tag, branch, hash, HEAD and pseudo-version (valid and invalid), retractions, and the prefix
 * probing of `go get <module>/<pkg>`. The go command asks through the proxy, many questions per
 * run. Fixtures: test/support/version-fixtures.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type DownloadAnswer, downloadMismatch, type ListAnswer, readAnswerTable } from '../support/answer-tables.ts';
import { escapePath } from '../../lib/modules/escape.ts';
import { DIRECT_HOST, goGet, goListAll, goModDownloadAll, type GoMode } from '../support/go-client.ts';
import { inParallel } from '../support/parallel.ts';
import { type RunningProxy, startProxy } from '../support/proxy-server.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';
import {
  buildVersionFixtures,
  downloadTargets,
  GET_TARGETS,
  LAYOUT,
  LEGACY,
  MAJOR_BRANCH,
  moduleOf,
  MODULES,
  NO_TAGS,
  REFUSED,
  type VersionFixtures,
} from '../support/version-fixtures.ts';

/** What the go command answered in direct mode (test/oracle/versions.test.ts). */
const TABLE = readAnswerTable<{
  list: Record<string, ListAnswer>;
  latest: Record<string, ListAnswer>;
  download: Record<string, DownloadAnswer>;
  get: Record<string, { require: string[]; goSum: string }>;
}>('versions');

/**
 * Paths below a project that are no module at any tag nor at the default branch head. Direct mode
 * cannot tell (it lists the path's tags: none); the proxy answers 404, so that the go command's
 * probes of package paths move on (`cmd/go/internal/modload/query.go` `queryPrefixModules` skips a
 * 404 silently) — a deliberate difference.
 */
const NOT_MODULES: ReadonlySet<string> = new Set([`${MAJOR_BRANCH}/sub`]);

const projectOf = (module: string): string => MODULES.find(([m]) => m === module)![1];
const short = (commit: string): string => commit.slice(0, 12);
/** The module of `module@query`, or of a bare module path. */
const moduleOfTarget = (target: string): string => target.split('@')[0]!;

/** Go runs at once: each asks many questions. */
const PARALLEL_GO_RUNS = 4;

describe('module layouts and versions agree with direct mode', () => {
  let root: string;
  let fixtures: VersionFixtures;
  let proxy: RunningProxy;

  /**
   * The questions, grouped into one go run per proxy endpoint: all of them through the instance
   * endpoint, and those of each project through its project's endpoint.
   */
  const byEndpoint = (asked: readonly string[]): Array<[name: string, mode: GoMode, asked: string[]]> => {
    const projects = [...new Set(asked.map((item) => projectOf(moduleOfTarget(item))))];
    return [
      ['instance', { proxy: proxy.url }, [...asked]],
      ...projects.map((project): [string, GoMode, string[]] => [
        `project ${project}`,
        { proxy: `${proxy.url}/api/v4/projects/${encodeURIComponent(project)}/packages/go` },
        asked.filter((item) => projectOf(moduleOfTarget(item)) === project),
      ]),
    ];
  };

  /** Runs `ask` once per endpoint (see byEndpoint) and collects what `check` finds wrong in its answers. */
  const askEveryEndpoint = async <A>(
    asked: readonly string[],
    ask: (asked: string[], mode: GoMode) => Promise<{ json: readonly A[]; stderr: string }>,
    check: (item: string, answer: A | undefined) => string | undefined,
  ): Promise<string[]> => {
    const problems: string[] = [];
    await inParallel(byEndpoint(asked), PARALLEL_GO_RUNS, async ([name, mode, items]) => {
      const { json, stderr } = await ask(items, mode);
      if (json.length !== items.length) problems.push(`${name}: ${json.length} answers to ${items.length}: ${stderr}`);
      items.forEach((item, i) => {
        const problem = check(item, json[i]);
        if (problem !== undefined) problems.push(`${item} via ${name}: ${problem}`);
      });
    });
    return problems;
  };

  before(async () => {
    root = await makeTempDir('versions');
    fixtures = await buildVersionFixtures(root);
    proxy = await startProxy({ repos: root, moduleHost: DIRECT_HOST });
  });

  after(async () => {
    await proxy?.close();
    await removeDir(root);
  });

  const modules = MODULES.map(([module]) => module);

  test('go list -m -versions', async () => {
    const problems = await askEveryEndpoint(
      modules,
      (asked, mode) => goListAll(asked, mode, { versions: true }),
      (module, answer) => {
        const recorded = TABLE.list[module]!;
        if (NOT_MODULES.has(module)) {
          if (!('Versions' in recorded) || recorded.Versions?.length !== 0) return `direct mode listed ${recorded}`;
          return /404 Not Found/.test(answer?.Error?.Err ?? '') ? undefined : `not a 404: ${JSON.stringify(answer)}`;
        }
        if ('Error' in recorded) {
          return answer?.Error === undefined ? `listed, direct mode failed: ${recorded.Error}` : undefined;
        }
        if (answer?.Error !== undefined) return `failed: ${answer.Error.Err}`;
        const versions = JSON.stringify(answer?.Versions ?? []);
        return versions === JSON.stringify(recorded.Versions)
          ? undefined
          : `${versions} instead of ${JSON.stringify(recorded.Versions)}`;
      },
    );
    assert.deepEqual(problems, []);
  });

  test('go list -m -json M@latest (retracted versions skipped)', async () => {
    const problems = await askEveryEndpoint(
      modules,
      (asked, mode) => goListAll(asked.map((module) => `${module}@latest`), mode),
      (module, answer) => {
        const recorded = TABLE.latest[module]!;
        if ('Error' in recorded) {
          return answer?.Error === undefined ? `answered, direct mode failed: ${recorded.Error}` : undefined;
        }
        if (answer?.Error !== undefined) return `failed: ${answer.Error.Err}`;
        const got = `${answer?.Version} ${answer?.Time}`;
        return got === `${recorded.Version} ${recorded.Time}`
          ? undefined
          : `${got} instead of ${recorded.Version} ${recorded.Time}`;
      },
    );
    assert.deepEqual(problems, []);
  });

  test('go mod download -json M@query: tags, branches, hashes, HEAD, pseudo-versions', async () => {
    const targets = downloadTargets(fixtures);
    assert.deepEqual(targets, Object.keys(TABLE.download), 'the table answers these very questions');
    const problems = await askEveryEndpoint(
      targets,
      (asked, mode) => goModDownloadAll(asked, mode),
      (target, answer) => downloadMismatch(TABLE.download[target]!, answer),
    );
    assert.deepEqual(problems, []);
  });

  test('.info has the Time direct mode gives each version', async () => {
    const wrong: string[] = [];
    for (const [target, recorded] of Object.entries(TABLE.download)) {
      if ('Error' in recorded) continue;
      const response = await fetch(`${proxy.url}/${escapePath(moduleOfTarget(target))}/@v/${recorded.Version}.info`);
      const info = (await response.json()) as { Time?: string };
      if (info.Time !== recorded.Time) wrong.push(`${target}: ${info.Time} instead of ${recorded.Time}`);
    }
    assert.deepEqual(wrong, []);
  });

  test('go get <module>/<pkg> finds the module through its prefixes', async () => {
    await Promise.all(GET_TARGETS.map(async (target) => {
      const recorded = TABLE.get[target]!;
      const viaProxy = await goGet(target, { proxy: proxy.url });
      assert.equal(viaProxy.exitCode, 0, `${target}: ${viaProxy.stderr}`);
      assert.deepEqual(
        viaProxy.goMod.split('\n').filter((line) => /^require |^\t/.test(line)),
        recorded.require,
        target,
      );
      assert.equal(viaProxy.goSum, recorded.goSum, target);
    }));
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
