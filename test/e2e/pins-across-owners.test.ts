/**
 * "What this proxy has served under a version it serves forever, or refuses loudly" (README
 * "Versions are immutable"), also when the source of a module path changes: a module served from
 * the upstream proxy, then mirrored (README's own example mirrors `github.com/acme/lib` under that
 * path) or given to a local project. A tag moved on the remote after the public proxy kept its copy
 * is exactly when the two differ, and every go.sum written from the first answer then breaks.
 *
 * Security review (third): fails today. Pins are keyed by the owning project, so a version pinned
 * under `/upstream` is neither served from its pin nor refused once a project owns the path.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ProxyOptions } from '../../lib/cli/config.ts';
import { startAnyModuleUpstream } from '../support/any-module-upstream.ts';
import { createRepo } from '../support/git-fixture.ts';
import { startProxy } from '../support/proxy-server.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';

const MODULE = 'github.example/acme/lib';

test('a version served from the upstream keeps its bytes, or is refused, once a project owns its path', {
  todo: 'pins are per owning project (pins/pin-guard.ts): a change of owner forgets what was served',
}, async (t) => {
  t.mock.method(process.stderr, 'write', () => true);
  const root = await makeTempDir('pins-across-owners');
  const upstream = await startAnyModuleUpstream(() => '\n// as the public proxy kept it\n');
  const repo = await createRepo(join(root, 'elsewhere'), 'lib');
  await repo.commit({ 'go.mod': `module ${MODULE}\n\ngo 1.19\n`, 'lib.go': 'package lib\n' }, {
    date: '2024-01-02T03:04:05Z',
  });
  await repo.tag('v1.0.0');
  const options: ProxyOptions = {
    repos: join(root, 'repos'),
    dataDir: join(root, 'data'),
    defaultVisibility: 'public',
    upstream: [upstream.url],
  };
  const proxy = await startProxy(options);
  try {
    const url = `${proxy.url}/${MODULE}/@v/v1.0.0.mod`;
    const first = await (await fetch(url)).text();
    await proxy.handler.reload({ ...options, projects: [{ path: 'acme/lib', modulePath: MODULE, repo: repo.gitDir }] });
    const response = await fetch(url);
    const second = await response.text();
    assert.ok(response.status === 500 || second === first, `${response.status}: ${JSON.stringify(second)}`);
  } finally {
    await proxy.close();
    await upstream.close();
    await removeDir(root);
  }
});
