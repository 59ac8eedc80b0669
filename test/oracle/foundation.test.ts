/**
 * The go command's own answers about `group/app` (test/support/version-fixtures.ts
 * `buildAppFixture`), in direct mode, must be the table test/oracle/foundation.json: its versions,
 * the downloads of v1.0.0 and v1.1.0 (Version, Time, Sum, GoModSum) and the go.sum `go get` writes.
 * test/e2e/foundation.test.ts holds the proxy to the same table.
 */
import { after, before, test } from 'node:test';
import { askDownload, checkAnswerTable, reasonOf } from '../support/answer-tables.ts';
import { type DirectOracle, startDirectOracle } from '../support/direct-oracle.ts';
import { goGet, goListVersions } from '../support/go-client.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';
import { APP, buildAppFixture } from '../support/version-fixtures.ts';

let root: string;
let oracle: DirectOracle;

before(async () => {
  root = await makeTempDir('oracle-foundation');
  await buildAppFixture(root);
  oracle = await startDirectOracle(root);
});

after(async () => {
  await oracle?.close();
  await removeDir(root);
});

test('direct mode answers what test/oracle/foundation.json records', async () => {
  const listed = await goListVersions(APP, oracle.mode);
  const download: Record<string, unknown> = {};
  for (const target of [`${APP}@v1.0.0`, `${APP}@v1.1.0`]) download[target] = await askDownload(target, oracle.mode);
  const got = await goGet(`${APP}@v1.1.0`, oracle.mode);
  checkAnswerTable('foundation', {
    list: { [APP]: listed.versions === undefined ? { Error: reasonOf(listed.stderr) } : { Versions: listed.versions } },
    download,
    get: { [`${APP}@v1.1.0`]: got.exitCode === 0 ? { goSum: got.goSum } : { Error: reasonOf(got.stderr) } },
  });
});
