/**
 * Zip fidelity, proven with the real go client: for every zip rule (test/support/zip-fixtures.ts)
 * the go command fetches the version directly from git and through the proxy, with separate module
 * caches, and must get the same `Sum` and `GoModSum`, and the hash the rule table records where it
 * has one; where direct mode refuses the zip, the proxy must answer the `.zip` with a 4xx and a
 * reason naming the same rule, and the go client fails through the proxy too. What direct mode
 * answers is the table test/oracle/zip-fidelity.json, which test/e2e/zip-fidelity.test.ts holds the
 * proxy to without the go client (the 65,536-file and 513 MiB cases included). One oracle and one
 * proxy serve all fixtures. x/mod's Go 1.24 vendor vector is served too when it sits beside the
 * project (skipped with a note otherwise).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { escapePath } from '../../lib/modules/escape.ts';
import { checkAnswerTable, reasonOf, type ZipAnswer } from '../support/answer-tables.ts';
import { type DirectOracle, startDirectOracle } from '../support/direct-oracle.ts';
import { DIRECT_HOST, goModDownload } from '../support/go-client.ts';
import { type RunningProxy, startProxy } from '../support/proxy-server.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';
import { readZipVectors, X_MOD_SKIP } from '../support/txtar.ts';
import { buildVectorFixture, buildZipFixtures, type ZipCase } from '../support/zip-fixtures.ts';

/** Go 1.24's vendor rule (x/mod `exclude_vendor_go124`), which a Go 1.19 client cannot compute itself. */
const GO124_VECTOR = X_MOD_SKIP
  ? undefined
  : readZipVectors('create').find((vector) => vector.id === 'create/exclude_vendor_go124.txt')!;
const GO124_PATH = 'xmod/vendor-go124';
/** Large fixtures take the go command a while in direct mode. */
const GO_TIMEOUT_MS = 240_000;
const PROJECTS = GO124_VECTOR === undefined ? [] : [{ path: GO124_PATH, modulePath: GO124_VECTOR.modulePath }];

const root = await makeTempDir('zip-fidelity');
let cases: ZipCase[];
try {
  cases = await buildZipFixtures(root);
  if (GO124_VECTOR !== undefined) await buildVectorFixture(root, GO124_PATH, GO124_VECTOR);
} catch (error) {
  await removeDir(root);
  throw error;
}
/** What direct mode answered per `module@version`: the table test/oracle/zip-fidelity.json. */
const directAnswers = new Map<string, ZipAnswer>();

let oracle: DirectOracle;
let proxy: RunningProxy;

before(async () => {
  oracle = await startDirectOracle(root);
  proxy = await startProxy({ repos: root, moduleHost: DIRECT_HOST, projects: PROJECTS });
});

after(async () => {
  await proxy?.close();
  await oracle?.close();
  await removeDir(root);
});

describe('zip fidelity: the go client gets the same module through the proxy as directly', { concurrency: 4 }, () => {
  for (const zipCase of cases) {
    test(`${zipCase.title} (${zipCase.module}@${zipCase.version})`, async () => {
      const target = `${zipCase.module}@${zipCase.version}`;
      const options = { timeoutMs: GO_TIMEOUT_MS };
      if (zipCase.directDiffers !== undefined) {
        const viaProxy = await goModDownload(target, { proxy: proxy.url }, options);
        assert.equal(viaProxy.json?.Sum, zipCase.hash, viaProxy.stderr);
        return;
      }
      const [direct, viaProxy] = await Promise.all([
        goModDownload(target, oracle.mode, options),
        goModDownload(target, { proxy: proxy.url }, options),
      ]);
      if (zipCase.refusal === undefined) {
        assert.ok(direct.json?.Sum, `direct mode: ${direct.stderr}`);
        assert.equal(viaProxy.json?.Error, undefined, `proxy: ${viaProxy.stderr}`);
        assert.equal(viaProxy.json?.Sum, direct.json.Sum, 'Sum');
        assert.equal(viaProxy.json?.GoModSum, direct.json.GoModSum, 'GoModSum');
        if (zipCase.hash !== undefined) assert.equal(direct.json.Sum, zipCase.hash, 'the rule table’s hash');
        directAnswers.set(target, { Sum: direct.json.Sum, GoModSum: direct.json.GoModSum! });
        return;
      }
      assert.notEqual(direct.exitCode, 0, 'direct mode refuses the zip');
      directAnswers.set(target, { Error: reasonOf(direct.json?.Error ?? direct.stderr) });
      assert.ok(
        direct.json?.Error?.includes(zipCase.directError ?? zipCase.refusal),
        `direct mode error: ${direct.json?.Error ?? direct.stderr}`,
      );
      const response = await fetch(`${proxy.url}/${escapePath(zipCase.module)}/@v/${zipCase.version}.zip`);
      const reason = await response.text();
      assert.ok(response.status >= 400 && response.status < 500, `proxy .zip answered ${response.status}`);
      assert.ok(reason.includes(zipCase.refusal), `proxy reason: ${reason}`);
      assert.notEqual(viaProxy.exitCode, 0, 'the go client fails through the proxy too');
      assert.equal(viaProxy.json?.Sum, undefined);
    });
  }

  test(
    'go 1.24 vendor rule: the proxy serves x/mod’s hash for exclude_vendor_go124',
    { skip: X_MOD_SKIP },
    async () => {
      assert.ok(GO124_VECTOR);
      const target = `${GO124_VECTOR.modulePath}@${GO124_VECTOR.version}`;
      const viaProxy = await goModDownload(target, { proxy: proxy.url });
      assert.equal(viaProxy.json?.Sum, GO124_VECTOR.hash, viaProxy.stderr);
    },
  );
});

test('direct mode answers what test/oracle/zip-fidelity.json records', () => {
  const asked = cases.filter((zipCase) => zipCase.directDiffers === undefined);
  const targets = asked.map((zipCase) => `${zipCase.module}@${zipCase.version}`);
  assert.deepEqual(targets.filter((target) => !directAnswers.has(target)), [], 'every case was answered');
  checkAnswerTable('zip-fidelity', Object.fromEntries(targets.map((target) => [target, directAnswers.get(target)])));
});
