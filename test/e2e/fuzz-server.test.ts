/**
 * Seeded fuzzing of the whole server, in-process over loopback: random and mutated request paths
 * (test/support/fuzz-paths.ts) sent as raw requests. Properties: no 5xx, and no git process for a
 * request the path matcher refuses. Bounded in count and time; `FUZZ_SEED=<n>` replays a run.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ProxyError } from '../../lib/common/errors.ts';
import { startedChildCount } from '../../lib/git/children.ts';
import { FUZZ_SEED as SEED, randomPath, routeOf } from '../support/fuzz-paths.ts';
import { createRepo } from '../support/git-fixture.ts';
import { type RunningProxy, startProxy } from '../support/proxy-server.ts';
import { rawGet, sendRaw } from '../support/raw-http.ts';
import { seededRandom } from '../support/random.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';

const REQUESTS = 400;
const TIME_BUDGET_MS = 20_000;

describe(`fuzz the whole server (seed ${SEED})`, () => {
  let root: string;
  let proxy: RunningProxy;

  before(async () => {
    root = await makeTempDir('fuzz');
    const repo = await createRepo(root, 'group/app');
    await repo.commit({ 'go.mod': 'module go.localhost/group/app\n', 'a.go': 'package app\n' }, {
      date: '2023-01-02T03:04:05Z',
    });
    await repo.tag('v1.0.0');
    await repo.commit({ 'sub/go.mod': 'module go.localhost/group/app/sub\n', 'sub/s.go': 'package sub\n' }, {
      date: '2023-02-02T03:04:05Z',
    });
    await repo.tag('sub/v0.1.0');
    proxy = await startProxy({ repos: root, projects: [{ path: 'group/app', id: 7 }] }, { timeouts: {} });
  });

  after(async () => {
    await proxy?.close();
    await removeDir(root);
  });

  test('no 5xx, and no git process for a path the matcher refuses', async () => {
    const random = seededRandom(SEED + 3);
    const port = Number(new URL(proxy.url).port);
    const deadline = Date.now() + TIME_BUDGET_MS;
    let refused = 0;
    for (let i = 0; i < REQUESTS && Date.now() < deadline; i++) {
      const path = randomPath(random);
      const context = `seed ${SEED + 3} #${i} ${JSON.stringify(path)}`;
      const before = startedChildCount();
      const response = await sendRaw(
        port,
        rawGet(Buffer.from(path, 'utf8').toString('latin1'), random() < 0.2 ? 'HEAD' : 'GET'),
      );
      assert.ok(
        response.status >= 200 && response.status < 500,
        `${context}: status ${response.status} ${response.body.toString().slice(0, 200)}`,
      );
      // What the handler matches: the target as Node hands it over (bytes as latin1), without the query.
      const route = routeOf(Buffer.from(path, 'utf8').toString('latin1').split('?')[0] ?? '', context);
      if (route instanceof ProxyError) {
        refused++;
        assert.equal(response.status, 400, context);
        assert.equal(startedChildCount(), before, `${context}: git started for a refused path`);
      }
    }
    assert.ok(refused > 0, 'no refused path was tried');
  });
});
