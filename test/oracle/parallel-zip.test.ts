/**
 * The go command's answers for the split-zip fixture (test/support/zip-fixtures.ts
 * `buildSplitFixture`), in direct mode, must be the table test/oracle/parallel-zip.json; through
 * the proxy, whose zip of it is made by several `git archive` processes, the go command must get
 * the same `Sum` and `GoModSum`. test/e2e/parallel-zip.test.ts holds the proxy to the table.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { checkAnswerTable, reasonOf, type ZipAnswer } from '../support/answer-tables.ts';
import { type DirectOracle, startDirectOracle } from '../support/direct-oracle.ts';
import { DIRECT_HOST, goModDownload } from '../support/go-client.ts';
import { type RunningProxy, startProxy } from '../support/proxy-server.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';
import { buildSplitFixture, SPLIT_MODULES } from '../support/zip-fixtures.ts';

let root: string;
let oracle: DirectOracle;
let proxy: RunningProxy;

before(async () => {
  root = await makeTempDir('oracle-parallel-zip');
  await buildSplitFixture(root);
  oracle = await startDirectOracle(root);
  proxy = await startProxy({ repos: root, moduleHost: DIRECT_HOST, maxGit: 8 });
});

after(async () => {
  await proxy?.close();
  await oracle?.close();
  await removeDir(root);
});

test('direct mode answers what test/oracle/parallel-zip.json records, and so does the proxy', async () => {
  const answers: Record<string, ZipAnswer> = {};
  for (const module of SPLIT_MODULES) {
    const target = `${module}@v1.0.0`;
    const [direct, proxied] = await Promise.all([
      goModDownload(target, oracle.mode),
      goModDownload(target, { proxy: proxy.url }),
    ]);
    answers[target] = direct.json?.Sum === undefined
      ? { Error: reasonOf(direct.json?.Error ?? direct.stderr) }
      : { Sum: direct.json.Sum, GoModSum: direct.json.GoModSum! };
    assert.equal(proxied.exitCode, 0, proxied.stderr);
    assert.equal(proxied.json?.Sum, direct.json?.Sum);
    assert.equal(proxied.json?.GoModSum, direct.json?.GoModSum);
  }
  checkAnswerTable('parallel-zip', answers);
});
