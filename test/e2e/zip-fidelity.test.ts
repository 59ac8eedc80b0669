/**
 * Zip fidelity: for every zip rule (test/support/zip-fixtures.ts) the proxy serves the zip and the
 * go.mod whose `h1:` hashes (computed here with the project's own hash code) are those the go
 * command got in direct mode, as test/oracle/zip-fidelity.json records them (`npm run test:oracle`
 * has the go client fetch every case both ways, and proves the table), and the hash the rule table
 * records where it has one; where direct mode refuses the zip, the proxy answers the `.zip` with a
 * 4xx and a reason naming the same rule. The 65,536-file and 513 MiB cases are checked the same
 * way. The `sum` command must print the go client's numbers. One proxy serves all fixtures. x/mod's
 * Go 1.24 vendor vector is served too when it sits beside the project (skipped with a note
 * otherwise).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { escapePath } from '../../lib/modules/escape.ts';
import { hashGoMod } from '../../lib/zip/hash.ts';
import { readAnswerTable, type ZipAnswer } from '../support/answer-tables.ts';
import { DIRECT_HOST } from '../support/go-client.ts';
import { fetchOnce } from '../support/http-fetch.ts';
import { PROJECT_ROOT, SERVER_ARGS } from '../support/project.ts';
import { type RunningProxy, startProxy } from '../support/proxy-server.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';
import { readZipVectors, X_MOD_SKIP } from '../support/txtar.ts';
import { buildVectorFixture, buildZipFixtures, repoModule, type ZipCase } from '../support/zip-fixtures.ts';
import { zipHash } from '../support/zip-hash.ts';

/** What the go command answered in direct mode per `module@version` (test/oracle/zip-fidelity.test.ts). */
const TABLE = readAnswerTable<Record<string, ZipAnswer>>('zip-fidelity');
/** Go 1.24's vendor rule (x/mod `exclude_vendor_go124`), which a Go 1.19 client cannot compute itself. */
const GO124_VECTOR = X_MOD_SKIP
  ? undefined
  : readZipVectors('create').find((vector) => vector.id === 'create/exclude_vendor_go124.txt')!;
const GO124_PATH = 'xmod/vendor-go124';
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

/** The go.sum lines of a version, from the table. */
function goSumLines(target: string): string {
  const recorded = TABLE[target]!;
  assert.ok('Sum' in recorded, `${target}: direct mode failed`);
  const [module, version] = target.split('@');
  return `${module} ${version} ${recorded.Sum}\n${module} ${version}/go.mod ${recorded.GoModSum}\n`;
}

let proxy: RunningProxy;

before(async () => {
  proxy = await startProxy({ repos: root, moduleHost: DIRECT_HOST, projects: PROJECTS });
});

after(async () => {
  await proxy?.close();
  await removeDir(root);
});

describe('zip fidelity: the proxy serves the zips direct mode gives the go client', { concurrency: 2 }, () => {
  for (const zipCase of cases) {
    test(`${zipCase.title} (${zipCase.module}@${zipCase.version})`, async () => {
      const base = `${proxy.url}/${escapePath(zipCase.module)}/@v/${zipCase.version}`;
      const zip = await fetchOnce(`${base}.zip`);
      if (zipCase.directDiffers !== undefined) {
        assert.equal(zip.status, 200, zip.body.toString());
        assert.equal(zipHash(zip.body), zipCase.hash);
        return;
      }
      const recorded = TABLE[`${zipCase.module}@${zipCase.version}`];
      assert.ok(recorded, 'test/oracle/zip-fidelity.json answers the case (npm run test:oracle records it)');
      if (zipCase.refusal === undefined) {
        assert.ok('Sum' in recorded, `direct mode refused it: ${JSON.stringify(recorded)}`);
        assert.equal(zip.status, 200, zip.body.toString());
        assert.ok(zip.complete);
        assert.equal(zipHash(zip.body), recorded.Sum, 'Sum');
        const mod = await fetchOnce(`${base}.mod`);
        assert.equal(mod.status, 200);
        assert.equal(hashGoMod(mod.body), recorded.GoModSum, 'GoModSum');
        if (zipCase.hash !== undefined) assert.equal(recorded.Sum, zipCase.hash, 'the rule table’s hash');
        return;
      }
      assert.ok('Error' in recorded, 'direct mode refuses the zip');
      assert.ok(
        recorded.Error.includes(zipCase.directError ?? zipCase.refusal),
        `direct mode error: ${recorded.Error}`,
      );
      assert.ok(zip.status >= 400 && zip.status < 500, `proxy .zip answered ${zip.status}`);
      assert.ok(zip.body.toString().includes(zipCase.refusal), `proxy reason: ${zip.body.toString()}`);
    });
  }

  test(
    'go 1.24 vendor rule: the proxy serves x/mod’s hash for exclude_vendor_go124',
    { skip: X_MOD_SKIP },
    async () => {
      assert.ok(GO124_VECTOR);
      const zip = await fetchOnce(`${proxy.url}/${GO124_VECTOR.modulePath}/@v/${GO124_VECTOR.version}.zip`);
      assert.equal(zip.status, 200);
      assert.equal(zipHash(zip.body), GO124_VECTOR.hash);
    },
  );
});

describe('sum command', () => {
  /** Every case direct mode could fetch, as `module@version`. */
  const fetched = (): string[] =>
    cases.map((zipCase) => `${zipCase.module}@${zipCase.version}`).filter((target) => 'Sum' in (TABLE[target] ?? {}));

  test('prints the go.sum lines the go client computed, for every fixture it could fetch', async () => {
    const targets = fetched();
    assert.ok(targets.length > 20, `direct sums recorded: ${targets.length}`);
    const go124Case = cases.find((zipCase) => zipCase.directDiffers !== undefined)!;
    const run = await runSum([...targets, `${go124Case.module}@${go124Case.version}`]);
    assert.equal(run.stderr, '');
    assert.equal(run.exitCode, 0);
    const go124 = `${go124Case.module} ${go124Case.version} ${go124Case.hash}\n`;
    assert.equal(run.stdout.split(/(?<=\n)/).slice(-2)[0], go124);
    assert.equal(run.stdout.split(/(?<=\n)/).slice(0, -2).join(''), targets.map(goSumLines).join(''));
  });

  test('reports versions it cannot sum with the server’s reason and exits 1', async () => {
    const refused = cases.find((zipCase) => zipCase.refusal === 'case-insensitive file name collision')!;
    const good = fetched()[0]!;
    const run = await runSum([
      `${refused.module}@${refused.version}`,
      good,
      `${repoModule('zip/nowhere')}@v1.0.0`,
      `${refused.module}@v9.9.9`,
    ]);
    assert.equal(run.exitCode, 1);
    assert.equal(run.stdout, goSumLines(good));
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

/** `node lib/server sum --config … --repos <root> --module-host 127.0.0.1 <targets…>` as a child process. */
function runSum(targets: readonly string[]): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
  const env = { ...process.env, GIT_GOPROXY_CONFIG: '', GIT_GOPROXY_DATA: '' };
  return new Promise((resolve, reject) => {
    const args = [
      ...SERVER_ARGS,
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
