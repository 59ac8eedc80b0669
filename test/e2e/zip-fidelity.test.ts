/**
 * Zip fidelity, proven with the real go client: for every zip rule (test/support/zip-fixtures.ts)
 * the go command fetches the version directly from git and through the proxy, with separate module
 * caches, and must get the same `Sum` and `GoModSum`, and the hash the rule table records where it
 * has one; where direct mode refuses the zip, the proxy must answer the `.zip` with a 4xx and a
 * reason naming the same rule. The `sum` command must print the go client's numbers. One oracle and
 * one proxy serve all fixtures. x/mod's Go 1.24 vendor vector is served too when it sits beside the
 * project (skipped with a note otherwise).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { escapePath } from '../../lib/modules/escape.ts';
import { type DirectOracle, startDirectOracle } from '../support/direct-oracle.ts';
import { DIRECT_HOST, goModDownload } from '../support/go-client.ts';
import { type RunningProxy, startProxy } from '../support/proxy-server.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';
import { readZipVectors, X_MOD_SKIP } from '../support/txtar.ts';
import { buildVectorFixture, buildZipFixtures, repoModule, type ZipCase } from '../support/zip-fixtures.ts';

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
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
  await writeFile(join(root, 'sum-config.json'), JSON.stringify({ projects: PROJECTS }));
} catch (error) {
  await removeDir(root);
  throw error;
}
/** The go client's go.sum lines per `module@version`, from direct mode, for the `sum` test. */
const directSums = new Map<string, string>();

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
        directSums.set(
          target,
          `${zipCase.module} ${zipCase.version} ${direct.json.Sum}\n${zipCase.module} ${zipCase.version}/go.mod ${direct.json.GoModSum}\n`,
        );
        return;
      }
      assert.notEqual(direct.exitCode, 0, 'direct mode refuses the zip');
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

describe('sum command', () => {
  test('prints the go.sum lines the go client computed, for every fixture it could fetch', async () => {
    const targets = [...directSums.keys()];
    assert.ok(targets.length > 20, `direct sums recorded: ${targets.length}`);
    const go124Case = cases.find((zipCase) => zipCase.directDiffers !== undefined)!;
    const run = await runSum([...targets, `${go124Case.module}@${go124Case.version}`]);
    assert.equal(run.stderr, '');
    assert.equal(run.exitCode, 0);
    const go124 = `${go124Case.module} ${go124Case.version} ${go124Case.hash}\n`;
    assert.equal(run.stdout.split(/(?<=\n)/).slice(-2)[0], go124);
    assert.equal(run.stdout.split(/(?<=\n)/).slice(0, -2).join(''), [...directSums.values()].join(''));
  });

  test('reports versions it cannot sum with the server’s reason and exits 1', async () => {
    const refused = cases.find((zipCase) => zipCase.refusal === 'case-insensitive file name collision')!;
    const good = [...directSums.keys()][0]!;
    const run = await runSum([
      `${refused.module}@${refused.version}`,
      good,
      `${repoModule('zip/nowhere')}@v1.0.0`,
      `${refused.module}@v9.9.9`,
    ]);
    assert.equal(run.exitCode, 1);
    assert.equal(run.stdout, directSums.get(good));
    const errors = run.stderr.trimEnd().split('\n');
    assert.equal(errors.length, 3, run.stderr);
    assert.match(errors[0]!, /^git-goproxy: sum: not found: .*case-insensitive file name collision/);
    assert.match(errors[1]!, /no such module/);
    assert.match(errors[2]!, /v9\.9\.9/);
  });

  test('refuses a malformed argument and a bad flag with status 2', async () => {
    const malformed = await runSum(['no-version']);
    assert.equal(malformed.exitCode, 2);
    assert.match(malformed.stderr, /"no-version" is not <module>@<version>/);
    const none = await runSum([]);
    assert.equal(none.exitCode, 2);
    assert.match(none.stderr, /no module given/);
    const badFlag = await runSum(['--nope', 'a@v1.0.0']);
    assert.equal(badFlag.exitCode, 2);
    assert.match(badFlag.stderr, /--nope/);
  });
});

/** `node --import tsx lib/server.ts sum --config … --repos <root> --module-host 127.0.0.1 <targets…>` as a child process. */
function runSum(targets: readonly string[]): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
  const env = { ...process.env, GIT_GOPROXY_CONFIG: '', GIT_GOPROXY_DATA: '' };
  return new Promise((resolve, reject) => {
    const args = [
      '--import',
      'tsx',
      'lib/server.ts',
      'sum',
      '--config',
      join(root, 'sum-config.json'),
      '--repos',
      root,
      '--module-host',
      DIRECT_HOST,
      ...targets,
    ];
    const child = spawn(process.execPath, args, { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on(
      'close',
      (exitCode) =>
        resolve({
          exitCode,
          stdout: Buffer.concat(stdout).toString('utf8'),
          stderr: Buffer.concat(stderr).toString('utf8'),
        }),
    );
  });
}
