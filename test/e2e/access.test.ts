/**
 * Who may read what, over HTTP against real repositories: private projects answer a caller without
 * access byte for byte as a server answers for a project that does not exist, through every scope
 * and every file; a granting token reads them; denials and bad tokens are logged by token name.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hashToken } from '../../lib/access/auth.ts';
import type { ProxyOptions } from '../../lib/cli/config.ts';
import { createRepo } from '../support/git-fixture.ts';
import { rawGet } from '../support/http-get.ts';
import { type RunningProxy, startProxy } from '../support/proxy-server.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';

const HOST = 'git.example.com';
const TEAM_SECRET = 'ggp_team';
const OTHER_SECRET = 'ggp_other';
const EXPIRED_SECRET = 'ggp_expired';

const options = (repos: string): ProxyOptions => ({
  repos,
  moduleHost: HOST,
  projects: [
    { path: 'group/public', id: 1, visibility: 'public' },
    { path: 'group/secret', id: 2, visibility: 'private' },
  ],
  tokens: [
    { name: 'team', sha256: hashToken(TEAM_SECRET), grants: ['group/*'] },
    { name: 'other', sha256: hashToken(OTHER_SECRET), grants: ['other/**'] },
    { name: 'expired', sha256: hashToken(EXPIRED_SECRET), grants: ['**'], expires: '2020-01-01' },
  ],
});

async function addModule(root: string, fullPath: string): Promise<void> {
  const repo = await createRepo(root, fullPath);
  await repo.commit({ 'go.mod': `module ${HOST}/${fullPath}\n\ngo 1.19\n`, 'a.go': 'package a\n' }, {
    date: '2024-01-02T03:04:05Z',
  });
  await repo.tag('v1.0.0');
}

/** The parts of a response that must not differ: status, body and headers (but the date). */
async function answer(
  proxy: RunningProxy,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const response = await fetch(`${proxy.url}${path}`, { headers });
  const all = Object.fromEntries([...response.headers].filter(([name]) => name !== 'date'));
  return { status: response.status, headers: all, body: Buffer.from(await response.arrayBuffer()).toString('latin1') };
}

const SECRET_MODULE = `${HOST}/group/secret`;
const REQUESTS: Array<[scope: string, prefix: string]> = [
  ['instance', ''],
  ['project by id', '/api/v4/projects/2/packages/go'],
  ['project by path', '/api/v4/projects/group%2Fsecret/packages/go'],
  ['group', '/api/v4/groups/group/-/packages/go'],
];
const FILES = [
  '@v/list',
  '@v/v1.0.0.info',
  '@v/v1.0.0.mod',
  '@v/v1.0.0.zip',
  '@latest',
  '@v/master.info',
  'sub/pkg/@v/list',
];

describe('private projects', () => {
  let withSecret: RunningProxy;
  let withoutSecret: RunningProxy;
  const roots: string[] = [];

  before(async () => {
    const full = await makeTempDir('access-full');
    const bare = await makeTempDir('access-bare');
    roots.push(full, bare);
    for (const path of ['group/public', 'group/secret', 'group/unlisted']) await addModule(full, path);
    await addModule(bare, 'group/public');
    withSecret = await startProxy(options(full));
    withoutSecret = await startProxy(options(bare));
  });

  after(async () => {
    await withSecret?.close();
    await withoutSecret?.close();
    for (const root of roots) await removeDir(root);
  });

  const callers: Array<[name: string, headers: Record<string, string>]> = [
    ['anonymous', {}],
    ['a token for other projects', { 'private-token': OTHER_SECRET }],
    ['an expired token', { 'private-token': EXPIRED_SECRET }],
    ['an unknown token', { authorization: `Bearer ${TEAM_SECRET}x` }],
  ];
  for (const [callerName, headers] of callers) {
    test(`${callerName}: byte-identical to a project that does not exist, in every scope`, async (t) => {
      t.mock.method(process.stderr, 'write', () => true);
      for (const [scope, prefix] of REQUESTS) {
        for (const file of FILES) {
          const path = `${prefix}/${SECRET_MODULE}/${file}`;
          const hidden = await answer(withSecret, path, headers);
          const missing = await answer(withoutSecret, path, headers);
          assert.deepEqual(hidden, missing, `${scope} ${file}`);
          assert.equal(hidden.status, 404, `${scope} ${file}`);
        }
      }
    });
  }

  test('a granting token reads it in every scope, by Private-Token, Bearer or Basic', async () => {
    const forms: Record<string, string>[] = [{ 'private-token': TEAM_SECRET }, {
      authorization: `Bearer ${TEAM_SECRET}`,
    }, { authorization: `Basic ${Buffer.from(`me:${TEAM_SECRET}`).toString('base64')}` }];
    for (const headers of forms) {
      for (const [scope, prefix] of REQUESTS) {
        const list = await answer(withSecret, `${prefix}/${SECRET_MODULE}/@v/list`, headers);
        assert.equal(list.status, 200, `${scope}: ${list.body}`);
        assert.equal(list.body, 'v1.0.0\n');
      }
    }
    const zip = await answer(withSecret, `/${SECRET_MODULE}/@v/v1.0.0.zip`, { 'job-token': TEAM_SECRET });
    assert.equal(zip.status, 200);
    assert.equal(zip.headers['content-type'], 'application/zip');
  });

  test('public projects need no token, and a bad token does not take that away', async () => {
    for (const headers of [{}, { 'private-token': 'ggp_wrong' }] as Record<string, string>[]) {
      const list = await answer(withSecret, `/${HOST}/group/public/@v/list`, headers);
      assert.equal(list.status, 200);
      assert.equal(list.body, 'v1.0.0\n');
    }
  });

  test('the group endpoint serves only projects below the group', async () => {
    const outside = await answer(withSecret, `/api/v4/groups/other/-/packages/go/${HOST}/group/public/@v/list`);
    assert.equal(outside.status, 404);
    const prefixOfName = await answer(withSecret, `/api/v4/groups/gro/-/packages/go/${HOST}/group/public/@v/list`);
    assert.equal(prefixOfName.status, 404);
  });

  test('projects without a visibility are local: loopback reads them, a forwarded request does not', async (t) => {
    t.mock.method(process.stderr, 'write', () => true);
    const path = `/${HOST}/group/unlisted/@v/list`;
    assert.equal((await answer(withSecret, path)).status, 200);
    const forwarded = { 'x-forwarded-for': '203.0.113.9' };
    const hidden = await answer(withSecret, path, forwarded);
    assert.equal(hidden.status, 404);
    assert.deepEqual(hidden, await answer(withoutSecret, path, forwarded));
    assert.equal((await answer(withSecret, path, { ...forwarded, 'private-token': TEAM_SECRET })).status, 200);
  });

  test('no sign of a forwarding proxy reads a local project: the headers of the second review, a public Host', async (t) => {
    t.mock.method(process.stderr, 'write', () => true);
    const path = `/${HOST}/group/unlisted/@v/list`;
    const signs: Array<Record<string, string>> = [
      { 'x-forwarded-proto': 'https' },
      { 'x-forwarded-port': '443' },
      { 'x-forwarded-server': 'proxy' },
      { 'x-forwarded-prefix': '/go' },
      { 'x-original-forwarded-for': '203.0.113.9' },
      { 'x-envoy-external-address': '203.0.113.9' },
      { 'client-ip': '203.0.113.9' },
      { 'forwarded-for': '203.0.113.9' },
      { 'x-forwarded': 'for=203.0.113.9' },
      { host: HOST },
    ];
    // By node:http, which sends the Host it is given (fetch() does not).
    const raw = async (server: RunningProxy, headers: Record<string, string>) => {
      const { status, headers: { date: _date, ...rest }, body } = await rawGet(`${server.url}${path}`, headers);
      return { status, headers: rest, body: body.toString('latin1') };
    };
    for (const headers of signs) {
      const hidden = await raw(withSecret, headers);
      assert.deepEqual(hidden, await raw(withoutSecret, headers), JSON.stringify(headers));
      assert.equal(hidden.status, 404, JSON.stringify(headers));
    }
  });

  test('denials and failed authentications are logged with the token name and client, never a secret', async (t) => {
    const write = t.mock.method(process.stderr, 'write', () => true);
    await answer(withSecret, `/${SECRET_MODULE}/@v/list`, { 'private-token': OTHER_SECRET });
    await answer(withSecret, `/${SECRET_MODULE}/@v/list`, { 'private-token': EXPIRED_SECRET });
    await answer(withSecret, `/${HOST}/group/public/@v/list`, { 'private-token': 'ggp_wrong' });
    const lines = write.mock.calls.map((call) => String(call.arguments[0])).filter((line) =>
      JSON.parse(line).level === 'warn'
    );
    for (const line of lines) {
      for (const secret of [OTHER_SECRET, EXPIRED_SECRET, 'ggp_wrong']) assert.ok(!line.includes(secret), line);
    }
    const events = lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .map(({ time: _time, level: _level, msg, ...rest }) => ({ event: msg, ...rest }));
    assert.deepEqual(events, [
      { event: 'access denied', project: 'group/secret', token: 'other', client: '127.0.0.1' },
      { event: 'auth failed', reason: 'expired token', token: 'expired', client: '127.0.0.1' },
      { event: 'access denied', project: 'group/secret', client: '127.0.0.1' },
      { event: 'auth failed', reason: 'unknown token', client: '127.0.0.1' },
    ]);
  });
});

describe('local projects behind a declared reverse proxy (trustedProxies)', () => {
  let proxy: RunningProxy;
  let root: string;

  before(async () => {
    root = await makeTempDir('access-proxied');
    await addModule(root, 'group/unlisted');
    proxy = await startProxy({ repos: root, moduleHost: HOST, trustedProxies: ['127.0.0.1'] });
  });

  after(async () => {
    await proxy?.close();
    if (root !== undefined) await removeDir(root);
  });

  test('only the proxy naming a client on loopback reads it; a client cannot name itself', async (t) => {
    t.mock.method(process.stderr, 'write', () => true);
    const path = `/${HOST}/group/unlisted/@v/list`;
    const status = async (headers: Record<string, string>) => (await answer(proxy, path, headers)).status;
    assert.equal(await status({ 'x-forwarded-for': '127.0.0.1', host: HOST, 'x-forwarded-proto': 'https' }), 200);
    assert.equal(await status({ 'x-forwarded-for': '::1' }), 200);
    assert.equal(await status({}), 404, 'from the proxy, naming no client');
    assert.equal(
      await status({ 'x-forwarded-for': '127.0.0.1, 203.0.113.9' }),
      404,
      'the client wrote the first entry',
    );
    assert.equal(await status({ 'x-forwarded-for': 'localhost' }), 404, 'not an address');
  });
});
