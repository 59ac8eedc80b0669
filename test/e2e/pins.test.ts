/**
 * Versions are immutable, end to end with the real go client: a version served once keeps its
 * bytes after its tag moves or is deleted (the go client and the `sum` command agree on its hash),
 * and is refused with 410 once its commit is pruned.
 */
import assert from 'node:assert/strict';
import { after, before, describe, mock, test } from 'node:test';
import { join } from 'node:path';
import { runCli } from '../support/cli-server.ts';
import { createRepo, type FixtureRepo } from '../support/git-fixture.ts';
import { goListVersions, goModDownload } from '../support/go-client.ts';
import { type RunningProxy, startProxy } from '../support/proxy-server.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';
import { logger } from '../../lib/common/log.ts';
import { FilePinStore } from '../../lib/pins/file-store.ts';

const MODULE = 'go.localhost/group/pinned';

describe('pins: a re-tagged version keeps what was served', () => {
  let root: string;
  let repo: FixtureRepo;
  let proxy: RunningProxy;
  let first: string;
  let second: string;
  const warnings: string[] = [];

  before(async () => {
    mock.method(logger, 'warn', (message: string) => warnings.push(message));
    root = await makeTempDir('pins-e2e');
    repo = await createRepo(root, 'group/pinned');
    // Root commits on no branch: once the tag moves, nothing else keeps the first one alive.
    first = await repo.commit({ 'go.mod': `module ${MODULE}\n\ngo 1.19\n`, 'p.go': 'package p\n\nconst V = 1\n' }, {
      date: '2024-01-02T03:04:05Z',
      branch: null,
      parents: [],
    });
    await repo.tag('v1.0.0', first);
    second = await repo.commit({ 'go.mod': `module ${MODULE}\n\ngo 1.20\n`, 'p.go': 'package p\n\nconst V = 2\n' }, {
      date: '2024-02-03T04:05:06Z',
      branch: null,
      parents: [],
    });
    proxy = await startProxy({ repos: root });
  });

  after(async () => {
    mock.restoreAll();
    await proxy?.close();
    await removeDir(root);
  });

  test('the go client gets the same Sum and GoModSum after the tag moves; the deleted tag stays listed; a pruned commit is 410', async () => {
    const mode = { proxy: proxy.url };
    const served = await goModDownload(`${MODULE}@v1.0.0`, mode);
    assert.equal(served.exitCode, 0, served.stderr);
    const pins = FilePinStore.open(join(root, '.git-goproxy'));
    const pin = await pins.get('group/pinned', MODULE, 'v1.0.0');
    await pins.close();
    assert.deepEqual(pin, {
      project: 'group/pinned',
      module: MODULE,
      version: 'v1.0.0',
      commit: first,
      time: '2024-01-02T03:04:05Z',
      mod: served.json?.GoModSum,
      zip: served.json?.Sum,
    });

    await repo.tag('v1.0.0', second);
    const again = await goModDownload(`${MODULE}@v1.0.0`, mode);
    assert.equal(again.exitCode, 0, again.stderr);
    assert.equal(again.json?.Sum, served.json?.Sum);
    assert.equal(again.json?.GoModSum, served.json?.GoModSum);
    const summed = await runCli(['sum', '--repos', root, `${MODULE}@v1.0.0`]);
    assert.equal(
      summed.stdout,
      `${MODULE} v1.0.0 ${served.json?.Sum}\n${MODULE} v1.0.0/go.mod ${served.json?.GoModSum}\n`,
      summed.stderr,
    );
    const info = (await (await fetch(`${proxy.url}/${MODULE}/@v/v1.0.0.info`)).json()) as {
      Origin: { Hash: string };
      Time: string;
    };
    assert.equal(info.Origin.Hash, first);
    assert.equal(info.Time, '2024-01-02T03:04:05Z');
    assert.deepEqual(
      warnings.filter((w) => w.includes('is pinned to commit')),
      [`${MODULE}@v1.0.0 is pinned to commit ${first}, but the repository now resolves it to commit ${second}; serving the pinned commit while it exists`],
    );
    const metrics = await (await fetch(`${proxy.url}/metrics`)).text();
    assert.match(metrics, /^git_goproxy_pin_tag_mismatches_total [1-9]\d*$/m);

    await repo.deleteTag('v1.0.0');
    const listed = await goListVersions(MODULE, mode);
    assert.deepEqual(listed.versions, ['v1.0.0'], listed.stderr);
    assert.equal((await goModDownload(`${MODULE}@v1.0.0`, mode)).json?.Sum, served.json?.Sum);

    await repo.tag('v1.0.0', second);
    await repo.git(['reflog', 'expire', '--expire=now', '--all']);
    await repo.git(['gc', '--quiet', '--prune=now']);
    const pruned = await goModDownload(`${MODULE}@v1.0.0`, mode);
    assert.notEqual(pruned.exitCode, 0);
    const error = pruned.json?.Error ?? '';
    assert.match(error, /410 Gone/);
    assert.ok(
      error.includes(
        `was served from commit ${first}, which is no longer in the repository, and its tag now points at commit ${second}`,
      ),
      error,
    );
  });
});
