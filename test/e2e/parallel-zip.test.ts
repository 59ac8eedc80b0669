/**
 * A large module at a deflate level is zipped by several `git archive` processes over parts of it,
 * their entries interleaved into one zip. The go client must get the same module as in direct
 * mode, for a root module and for a module in a subdirectory (with a nested module and vendored
 * files left out and the root LICENSE inherited); with one git slot the same zip comes from a
 * single process.
 */
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { childProcessCount } from '../support/child-processes.ts';
import { type DirectOracle, startDirectOracle } from '../support/direct-oracle.ts';
import { createRepo } from '../support/git-fixture.ts';
import { DIRECT_HOST, goModDownload } from '../support/go-client.ts';
import { fetchOnce } from '../support/http-fetch.ts';
import { type RunningProxy, startProxy } from '../support/proxy-server.ts';
import { seededRandom } from '../support/random.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';
import { zipHash } from '../support/zip-hash.ts';

const ROOT_MODULE = `${DIRECT_HOST}/big/split`;
const SUB_MODULE = `${ROOT_MODULE}/sub`;

/** About 13 MiB of compressible Go-like text over directories of very different weight. */
function largeTree(prefix: string, module: string): Record<string, string> {
  const random = seededRandom(prefix.length + 11);
  const text = (lines: number) =>
    Array.from({ length: lines }, () => `// ${random().toString(36).slice(2)} ${random().toString(36).slice(2)}`).join(
      '\n',
    );
  const files: Record<string, string> = { [`${prefix}go.mod`]: `module ${module}\n\ngo 1.19\n` };
  for (let i = 0; i < 300; i++) files[`${prefix}heavy/deep/p${i % 7}/f${i}.go`] = `package p${i % 7}\n${text(1500)}\n`;
  for (let i = 0; i < 200; i++) files[`${prefix}light${i % 5}/f${i}.go`] = `package light\n${text(200)}\n`;
  files[`${prefix}root.go`] = `package split\n${text(50)}\n`;
  files[`${prefix}nested/go.mod`] = `module ${module}/nested\n`;
  files[`${prefix}nested/n.go`] = 'package nested\n';
  files[`${prefix}vendor/example.com/v/v.go`] = 'package v\n';
  files[`${prefix}vendor/modules.txt`] = '# example.com/v v1.0.0\n';
  return files;
}

describe('zips split over several git archives', () => {
  let root: string;
  let oracle: DirectOracle;
  let proxy: RunningProxy;
  let single: RunningProxy;

  before(async () => {
    root = await makeTempDir('parallel-zip');
    const repo = await createRepo(root, 'big/split');
    await repo.commit({
      ...largeTree('', ROOT_MODULE),
      ...largeTree('sub/', SUB_MODULE),
      LICENSE: 'the root licence\n',
    }, { date: '2024-05-06T07:08:09Z' });
    await repo.tag('v1.0.0');
    await repo.tag('sub/v1.0.0');
    oracle = await startDirectOracle(root);
    proxy = await startProxy({ repos: root, moduleHost: DIRECT_HOST, maxGit: 8 });
    single = await startProxy({ repos: root, moduleHost: DIRECT_HOST, maxGit: 1, dataDir: `${root}/.single` });
  });

  after(async () => {
    await proxy?.close();
    await single?.close();
    await oracle?.close();
    await removeDir(root);
  });

  for (const module of [ROOT_MODULE, SUB_MODULE]) {
    test(`${module}: several git archives at once; the same h1 as direct mode and as one git archive`, async () => {
      let peak = 0;
      let polling = true;
      const poll = (async () => {
        while (polling) {
          peak = Math.max(peak, childProcessCount('archive'));
          await sleep(2);
        }
      })();
      const split = await fetchOnce(`${proxy.url}/${module}/@v/v1.0.0.zip`);
      polling = false;
      await poll;
      assert.equal(split.status, 200);
      assert.ok(peak >= Math.min(2, availableParallelism()), `peak of ${peak} git archive processes`);
      const whole = await fetchOnce(`${single.url}/${module}/@v/v1.0.0.zip`);
      assert.equal(zipHash(split.body), zipHash(whole.body));

      const [direct, proxied] = await Promise.all([
        goModDownload(`${module}@v1.0.0`, oracle.mode),
        goModDownload(`${module}@v1.0.0`, { proxy: proxy.url }),
      ]);
      assert.equal(direct.exitCode, 0, direct.stderr);
      assert.equal(proxied.exitCode, 0, proxied.stderr);
      assert.equal(proxied.json?.Sum, direct.json?.Sum);
      assert.equal(zipHash(split.body), direct.json?.Sum);
    });
  }
});
