/**
 * Private modules with the real go client (1.19): over HTTPS with a throw-away CA, a `.netrc`
 * holding a token fetches a private module through the instance, project and group endpoints and
 * through go-get discovery (`?go-get=1` → `mod`); without it the private module is not found and the
 * public one still is. Module paths carry no port, so go-get discovery asks
 * `https://private.test/<module path>?go-get=1` on port 443: the go command reaches the proxy,
 * which listens on an ephemeral port, through a host proxy that tunnels `private.test:443` to it
 * (host-proxy.ts), and every endpoint is named by that host, as users would name their instance.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { hashToken } from '../../lib/access/auth.ts';
import { createRepo } from '../support/git-fixture.ts';
import { goGet, goModDownload, type GoMode } from '../support/go-client.ts';
import { type HostProxy, startHostProxy } from '../support/host-proxy.ts';
import { type RunningProxy, startProxy } from '../support/proxy-server.ts';
import { makeTestCertificates } from '../support/tls.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';

const HOST = 'private.test';
const SECRET = 'ggp_e2e-private-modules';
const PUBLIC = `${HOST}/group/public`;
const PRIVATE = `${HOST}/group/secret`;

async function addModule(root: string, fullPath: string): Promise<void> {
  const repo = await createRepo(root, fullPath);
  const name = fullPath.split('/').pop();
  await repo.commit({
    'go.mod': `module ${HOST}/${fullPath}\n\ngo 1.19\n`,
    [`${name}.go`]: `package ${name}\n\nconst Name = "${name}"\n`,
  }, { date: '2024-03-04T05:06:07Z' });
  await repo.tag('v1.0.0');
}

describe('private modules with the go client, over HTTPS', () => {
  let scratch: string;
  let proxy: RunningProxy;
  let tunnel: HostProxy;
  /** The proxy's base URL as the go command uses it. */
  const base = `https://${HOST}`;
  let withNetrc: Record<string, string>;
  let withoutNetrc: Record<string, string>;
  /** Each endpoint: how to reach the project with this id through it, and its extra environment. */
  let endpoints: Array<[name: string, mode: (projectId: number) => GoMode, env: Record<string, string>]>;

  before(async () => {
    scratch = await makeTempDir('private-e2e');
    const repos = join(scratch, 'repos');
    await addModule(repos, 'group/public');
    await addModule(repos, 'group/secret');
    const certificates = await makeTestCertificates(scratch, [HOST]);
    proxy = await startProxy(
      {
        repos,
        moduleHost: HOST,
        projects: [
          { path: 'group/public', id: 1, visibility: 'public' },
          { path: 'group/secret', id: 2, visibility: 'private' },
        ],
        tokens: [{ name: 'e2e', sha256: hashToken(SECRET), grants: ['group/*'] }],
        dataDir: join(scratch, 'data'),
      },
      { tls: certificates },
    );
    tunnel = await startHostProxy({ host: HOST, httpsPort: Number(new URL(proxy.url).port) });
    const netrc = join(scratch, 'netrc');
    await writeFile(netrc, `machine ${HOST}\n  login anyone\n  password ${SECRET}\n`, { mode: 0o600 });
    withoutNetrc = { ...tunnel.env, SSL_CERT_FILE: certificates.caFile, NETRC: join(scratch, 'no-netrc') };
    withNetrc = { ...withoutNetrc, NETRC: netrc };
    // Discovery: GOPRIVATE makes the client fetch "directly", which go-get turns into our proxy.
    const discovery = { GOPRIVATE: HOST };
    endpoints = [
      ['instance', () => ({ proxy: base }), {}],
      ['project', (id) => ({ proxy: `${base}/api/v4/projects/${id}/packages/go` }), {}],
      ['group', () => ({ proxy: `${base}/api/v4/groups/group/-/packages/go` }), {}],
      ['go-get discovery', () => ({ proxy: 'https://proxy.golang.org,direct' }), discovery],
    ];
  });

  after(async () => {
    await tunnel?.close();
    await proxy?.close();
    if (scratch !== undefined) await removeDir(scratch);
  });

  test('with the token in .netrc, the private module downloads through every endpoint, with one checksum', async () => {
    const sums = new Set<string>();
    for (const [name, mode, env] of endpoints) {
      const run = await goModDownload(`${PRIVATE}@v1.0.0`, mode(2), { env: { ...withNetrc, ...env } });
      assert.equal(run.json?.Error, undefined, `${name}: ${run.stderr}`);
      assert.match(run.json?.Sum ?? '', /^h1:/, name);
      sums.add(run.json!.Sum!);
    }
    assert.equal(sums.size, 1);
  });

  test('without it, the private module is not found anywhere, and the public one still is', async (t) => {
    t.mock.method(process.stderr, 'write', () => true);
    for (const [name, mode, env] of endpoints) {
      const hidden = await goModDownload(`${PRIVATE}@v1.0.0`, mode(2), { env: { ...withoutNetrc, ...env } });
      assert.notEqual(hidden.exitCode, 0, name);
      assert.match(
        hidden.json?.Error ?? hidden.stderr,
        /404|not found|unrecognized import path/i,
        `${name}: ${hidden.stderr}`,
      );
      const open = await goModDownload(`${PUBLIC}@v1.0.0`, mode(1), { env: { ...withoutNetrc, ...env } });
      assert.equal(open.json?.Error, undefined, `${name}: ${open.stderr}`);
    }
  });

  test('go get of the private module with .netrc writes go.sum; with a wrong token it fails', async (t) => {
    t.mock.method(process.stderr, 'write', () => true);
    const ok = await goGet(`${PRIVATE}@v1.0.0`, { proxy: base }, { env: withNetrc });
    assert.equal(ok.exitCode, 0, ok.stderr);
    assert.match(ok.goMod, new RegExp(`require ${PRIVATE.replace(/\./g, '\\.')} v1\\.0\\.0`));
    assert.match(ok.goSum, new RegExp(`^${PRIVATE.replace(/\./g, '\\.')} v1\\.0\\.0 h1:`, 'm'));
    const wrong = join(scratch, 'wrong-netrc');
    await writeFile(wrong, `machine ${HOST} login anyone password ggp_wrong\n`, { mode: 0o600 });
    const refused = await goGet(`${PRIVATE}@v1.0.0`, { proxy: base }, { env: { ...withNetrc, NETRC: wrong } });
    assert.notEqual(refused.exitCode, 0);
  });
});
