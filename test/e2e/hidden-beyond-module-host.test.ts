/**
 * A project a caller may not read does not exist for them (README "Private modules"), also when its
 * module path is not below the module host: a vanity path, or a mirror served under the path its
 * remote host gives it (`github.com/acme/lib`, README "Serving repositories from another git host"),
 * on a server with an upstream proxy and a checksum database ("One GOPROXY for everything"), and in
 * `/metrics`, which anyone who reaches the server reads. Two servers with the same config, one with
 * the private projects and one without, must answer every anonymous caller alike.
 *
 * Security review (third): these fail today. Private-ness of a path (never forwarded upstream) is
 * decided from every project, readable or not, so a hidden project's path gets this proxy's own 404
 * (or the checksum database's 403) where an absent one gets the upstream's answer; `/metrics` names
 * every mirror by its project path and counts projects and refusals per reason.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ProxyOptions } from '../../lib/cli/config.ts';
import { createRepo } from '../support/git-fixture.ts';
import { type RunningProxy, startProxy } from '../support/proxy-server.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';

const DATE = '2024-01-02T03:04:05Z';
/** A private project with a vanity path, and a private mirror under its remote host's path. */
const VANITY = 'corp.example.com/acme/secret';
const MIRRORED = 'github.example/acme/private-lib';

/** Paths whose answers could name the private projects. */
const PATHS = [
  `/${VANITY}/@v/list`,
  `/${VANITY}/@v/v1.0.0.info`,
  `/${VANITY}/@latest`,
  '/corp.example.com/acme/@v/list',
  `/${MIRRORED}/@v/list`,
  `/${MIRRORED}/@v/v1.0.0.mod`,
  `/sumdb/sum.golang.org/lookup/${VANITY}@v1.0.0`,
  `/sumdb/sum.golang.org/lookup/${MIRRORED}@v1.0.0`,
];

async function answer(proxy: RunningProxy, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(proxy.url + path);
  return { status: response.status, body: await response.text() };
}

describe('a private project beyond the module host answers as an absent one', () => {
  let root: string;
  let upstream: Server;
  let present: RunningProxy;
  let absent: RunningProxy;

  before(async () => {
    root = await makeTempDir('hidden-beyond-module-host');
    // An upstream proxy and checksum database that know none of these paths.
    upstream = createServer((_req, res) => {
      res.statusCode = 404;
      res.end('not found: unknown module\n');
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    const secret = await createRepo(join(root, 'repos'), 'acme/secret');
    await secret.commit({ 'go.mod': `module ${VANITY}\n\ngo 1.19\n`, 'a.go': 'package a\n' }, { date: DATE });
    await secret.tag('v1.0.0');
    const remote = await createRepo(join(root, 'remotes'), 'private-lib');
    await remote.commit({ 'go.mod': `module ${MIRRORED}\n\ngo 1.19\n`, 'b.go': 'package b\n' }, { date: DATE });
    await remote.tag('v1.0.0');
    const common: Partial<ProxyOptions> = {
      upstream: [upstreamUrl],
      sumdbs: { 'sum.golang.org': upstreamUrl },
      defaultVisibility: 'private',
    };
    present = await startProxy({
      ...common,
      repos: join(root, 'repos'),
      dataDir: join(root, 'data-present'),
      projects: [{ path: 'acme/secret', modulePath: VANITY }],
      mirrors: [{ url: `file://${remote.gitDir}`, path: 'acme/private-lib', modulePath: MIRRORED }],
    });
    absent = await startProxy({ ...common, repos: join(root, 'empty'), dataDir: join(root, 'data-absent') });
  });

  after(async () => {
    await present?.close();
    await absent?.close();
    await new Promise((resolve) => upstream?.close(resolve));
    if (root !== undefined) await removeDir(root);
  });

  test('the protocol and the checksum database answer alike', {
    todo: 'private-ness of a path is decided from hidden projects too (upstream/private-paths.ts)',
  }, async (t) => {
    t.mock.method(process.stderr, 'write', () => true);
    const differences: string[] = [];
    for (const path of PATHS) {
      const hidden = await answer(present, path);
      const missing = await answer(absent, path);
      if (hidden.status !== missing.status || hidden.body !== missing.body) {
        differences.push(`${path}: ${hidden.status} ${hidden.body.trim()} | ${missing.status} ${missing.body.trim()}`);
      }
    }
    assert.deepEqual(differences, []);
  });

  test('/metrics names no private project and counts alike', {
    todo: '/metrics is public and labels mirrors by project path (mirrors/mirror-set.ts)',
  }, async (t) => {
    t.mock.method(process.stderr, 'write', () => true);
    for (const path of PATHS) {
      await answer(present, path);
      await answer(absent, path);
    }
    const metrics = (await answer(present, '/metrics')).body;
    assert.doesNotMatch(metrics, /acme\/private-lib/);
    const counted = (text: string) =>
      text.split('\n').filter((line) => /^git_goproxy_(?:projects|mirrors|upstream_refusals_total)\b/.test(line));
    assert.deepEqual(counted(metrics), counted((await answer(absent, '/metrics')).body));
  });
});
