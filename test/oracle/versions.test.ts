/**
 * The go command's own answers about the version fixtures (test/support/version-fixtures.ts), in
 * direct mode, must be the table test/oracle/versions.json: `go list -m -versions` and
 * `go list -m M@latest` per module, `go mod download -json M@query` per target (Version, Time, Sum,
 * GoModSum, or the reason of its failure), and the require lines and go.sum `go get` writes for a
 * package path. Each question is a go command of its own with fresh caches, as a user would ask it.
 * test/e2e/versions.test.ts holds the proxy to the same table.
 */
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { askDownload, checkAnswerTable, type ListAnswer, reasonOf } from '../support/answer-tables.ts';
import { type DirectOracle, startDirectOracle } from '../support/direct-oracle.ts';
import { goGet, goListLatest, goListVersions } from '../support/go-client.ts';
import { inParallel } from '../support/parallel.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';
import {
  buildVersionFixtures,
  downloadTargets,
  GET_TARGETS,
  MODULES,
  type VersionFixtures,
} from '../support/version-fixtures.ts';

const PARALLEL_GO_RUNS = 6;

let root: string;
let fixtures: VersionFixtures;
let oracle: DirectOracle;

before(async () => {
  root = await makeTempDir('oracle-versions');
  fixtures = await buildVersionFixtures(join(root, 'repos'));
  oracle = await startDirectOracle(join(root, 'repos'));
});

after(async () => {
  await oracle?.close();
  await removeDir(root);
});

test('direct mode answers what test/oracle/versions.json records', async () => {
  const modules = MODULES.map(([module]) => module);
  const list = await inParallel(modules, PARALLEL_GO_RUNS, async (module): Promise<ListAnswer> => {
    const run = await goListVersions(module, oracle.mode);
    return run.versions === undefined ? { Error: reasonOf(run.stderr) } : { Versions: run.versions };
  });
  const latest = await inParallel(modules, PARALLEL_GO_RUNS, async (module): Promise<ListAnswer> => {
    const run = await goListLatest(module, oracle.mode);
    return run.json === undefined
      ? { Error: reasonOf(run.stderr) }
      : { Version: run.json.Version, Time: run.json.Time };
  });
  const targets = downloadTargets(fixtures);
  const download = await inParallel(targets, PARALLEL_GO_RUNS, (target) => askDownload(target, oracle.mode));
  const get = await inParallel(GET_TARGETS, PARALLEL_GO_RUNS, async (target) => {
    const run = await goGet(target, oracle.mode);
    if (run.exitCode !== 0) return { Error: reasonOf(run.stderr) };
    return { require: run.goMod.split('\n').filter((line) => /^require |^\t/.test(line)), goSum: run.goSum };
  });
  checkAnswerTable('versions', {
    list: Object.fromEntries(modules.map((module, i) => [module, list[i]])),
    latest: Object.fromEntries(modules.map((module, i) => [module, latest[i]])),
    download: Object.fromEntries(targets.map((target, i) => [target, download[i]])),
    get: Object.fromEntries(GET_TARGETS.map((target, i) => [target, get[i]])),
  });
});
