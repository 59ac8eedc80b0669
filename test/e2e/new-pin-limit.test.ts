/**
 * The rate of new pins per client (issue #15, finding 5): a bucket per client on a test clock, then
 * over HTTP: past the limit a first `.mod` or `.zip` is a 429 with `Retry-After`, counted in
 * `/metrics`; pinned versions, other clients and token holders are not held back.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hashToken } from '../../lib/access/auth.ts';
import { ProxyError } from '../../lib/common/errors.ts';
import { NewPinLimit } from '../../lib/pins/new-pin-limit.ts';
import { createRepo } from '../support/git-fixture.ts';
import { type RunningProxy, startProxy } from '../support/proxy-server.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';

const refusal = (seconds: number) => (error: unknown) =>
  error instanceof ProxyError && error.kind === 'rate-limited' && error.retryAfterSeconds === seconds;

test('new pins: a full bucket of perMinute per client, refilled at perMinute a minute; Retry-After says when the next one is due', () => {
  let now = 0;
  const limit = new NewPinLimit(3, () => now);
  for (let i = 0; i < 3; i++) limit.take('a');
  assert.throws(() => limit.take('a'), refusal(20));
  limit.take('b');
  now += 19_000;
  assert.throws(() => limit.take('a'), refusal(1));
  now += 1_000;
  limit.take('a');
  now += 10 * 60_000;
  for (let i = 0; i < 3; i++) limit.take('a');
  assert.throws(() => limit.take('a'), refusal(20));
  assert.equal(limit.refused, 3);
});

test('new pins: the default is generous (a thousand a minute)', () => {
  const limit = new NewPinLimit(undefined, () => 0);
  for (let i = 0; i < 1000; i++) limit.take('ci');
  assert.throws(() => limit.take('ci'), refusal(1));
});

test('new pins: the buckets are bounded; the least recently seen client is forgotten (and starts full)', () => {
  const limit = new NewPinLimit(1, () => 0);
  limit.take('first');
  assert.throws(() => limit.take('first'), refusal(60));
  for (let i = 0; i < 10_000; i++) limit.take(`client ${i}`);
  limit.take('first');
  assert.throws(() => limit.take('client 9999'), refusal(60), 'recently seen clients are kept');
});

/** A project with four tagged versions, v1.0.0 to v1.0.3, each its own commit. */
async function fourVersions(root: string, fullPath: string, modulePath: string): Promise<void> {
  const repo = await createRepo(root, fullPath);
  for (let i = 0; i < 4; i++) {
    await repo.commit({ 'go.mod': `module ${modulePath}\n`, 'p.go': `package p\n\nconst N = ${i}\n` }, {
      date: new Date(Date.UTC(2024, 0, 1 + i)),
    });
    await repo.tag(`v1.0.${i}`);
  }
}

describe('new pins over HTTP', () => {
  const HOST = 'go.localhost';
  const MODULE = `${HOST}/group/flood`;
  const SECRET = 'ggp_flood';
  let root: string;
  let proxy: RunningProxy;

  before(async () => {
    root = await makeTempDir('new-pins');
    await fourVersions(root, 'group/flood', MODULE);
    proxy = await startProxy({
      repos: root,
      projects: [{ path: 'group/flood', visibility: 'public' }],
      tokens: [{ name: 'ci', sha256: hashToken(SECRET), grants: ['group/*'] }],
      maxNewPinsPerMinute: 2,
    });
  });

  after(async () => {
    await proxy?.close();
    await removeDir(root);
  });

  test('past the limit a first .mod or .zip is 429 with Retry-After; pinned versions and other clients still served; counted in /metrics', async () => {
    const get = async (path: string, headers: Record<string, string> = {}) => {
      const response = await fetch(`${proxy.url}/${MODULE}/@v/${path}`, { headers });
      return { status: response.status, retryAfter: response.headers.get('retry-after'), body: await response.text() };
    };
    assert.equal((await get('v1.0.0.mod')).status, 200);
    assert.equal((await get('v1.0.0.zip')).status, 200, 'adding the zip hash to a pin is no new pin');
    assert.equal((await get('v1.0.1.zip')).status, 200);
    const refused = await get('v1.0.2.mod');
    assert.equal(refused.status, 429);
    assert.ok(
      Number(refused.retryAfter) >= 1 && Number(refused.retryAfter) <= 30,
      `Retry-After: ${refused.retryAfter}`,
    );
    assert.equal(refused.body, `too many new versions pinned by this client: try again in ${refused.retryAfter} s\n`);
    assert.equal((await get('v1.0.2.zip')).status, 429);
    assert.equal((await get('v1.0.1.mod')).status, 200, 'a pinned version is served');
    assert.equal((await get('v1.0.2.info')).status, 200, '.info pins nothing');
    assert.equal((await get('list')).body, 'v1.0.0\nv1.0.1\nv1.0.2\nv1.0.3\n');
    assert.equal((await get('v1.0.2.mod', { 'private-token': SECRET })).status, 200, 'a token has a bucket of its own');
    const metrics = await (await fetch(`${proxy.url}/metrics`)).text();
    assert.match(metrics, /^git_goproxy_new_pins_refused_total 2$/m);
    assert.match(metrics, /^git_goproxy_requests_total\{endpoint="mod",status="429"\} 1$/m);
  });
});

describe('new pins behind a trusted proxy', () => {
  const HOST = 'go.localhost';
  const MODULE = `${HOST}/group/rotate`;
  let root: string;
  let proxy: RunningProxy;

  before(async () => {
    root = await makeTempDir('new-pins-proxied');
    await fourVersions(root, 'group/rotate', MODULE);
    proxy = await startProxy({
      repos: root,
      defaultVisibility: 'public',
      trustedProxies: ['127.0.0.1'],
      maxNewPinsPerMinute: 1,
    });
  });

  after(async () => {
    await proxy?.close();
    await removeDir(root);
  });

  const mod = async (version: string, forwardedFor: string) =>
    (await fetch(`${proxy.url}/${MODULE}/@v/${version}.mod`, { headers: { 'x-forwarded-for': forwardedFor } })).status;

  test('an IPv6 client rotating through its /64 is one client; clients the proxy names apart are apart', async () => {
    assert.equal(await mod('v1.0.0', '2001:db8:1:2::1'), 200);
    assert.equal(await mod('v1.0.1', '2001:db8:1:2:ffff::9'), 429, 'another address of the same /64');
    assert.equal(await mod('v1.0.1', '2001:db8:1:3::1'), 200, 'another /64');
    assert.equal(await mod('v1.0.2', '203.0.113.9'), 200, 'another client behind the proxy');
    assert.equal(await mod('v1.0.3', '198.51.100.7, 203.0.113.9'), 429, 'what the client wrote itself does not count');
  });
});
