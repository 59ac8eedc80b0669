/**
 * Who the caller is (lib/access/auth.ts): every credential form, malformed and unknown tokens
 * (anonymous, logged without naming a token), token expiry by date or timestamp against the clock of
 * each request, the constant-time hash lookup, and where the caller is (in detail: client-address.test.ts).
 */
import assert from 'node:assert/strict';
import { timingSafeEqual } from 'node:crypto';
import { describe, test } from 'node:test';
import type { Caller, CallerRequest } from '../../lib/access/auth.ts';
import { findByDigest, hashToken, logAuthEvent, mayRead, parseExpiry, TokenStore } from '../../lib/access/auth.ts';
import { Logger } from '../../lib/common/log.ts';
import type { Visibility } from '../../lib/access/auth.ts';
import { compileGrant, grantPatternError } from '../../lib/access/grants.ts';
import { TrustedProxies } from '../../lib/access/client-address.ts';

const NOW = Date.parse('2024-06-01T12:00:00Z');
const SECRET = 'ggp_team-secret';
const store = new TokenStore(
  [
    { name: 'team', sha256: hashToken(SECRET), grants: ['group/*'] },
    { name: 'old', sha256: hashToken('ggp_old'), grants: ['**'], expires: '2024-06-01' },
    { name: 'later', sha256: hashToken('ggp_later'), grants: ['tools/**'], expires: '2024-06-01T14:00:00+02:00' },
    { name: 'soon', sha256: hashToken('ggp_soon'), grants: ['tools/**'], expires: '2024-06-01T12:00:01Z' },
  ],
  () => NOW,
);

const remote = (headers: CallerRequest['headers']): CallerRequest => ({ headers, remoteAddress: '203.0.113.9' });
const basic = (userAndPassword: string) => `Basic ${Buffer.from(userAndPassword).toString('base64')}`;

describe('credentials', () => {
  const accepted: Array<[string, CallerRequest['headers']]> = [
    ['Private-Token', { 'private-token': SECRET }],
    ['Job-Token', { 'job-token': SECRET }],
    ['Deploy-Token', { 'deploy-token': SECRET }],
    ['Bearer', { authorization: `Bearer ${SECRET}` }],
    ['Bearer, scheme in any case', { authorization: `bEARER ${SECRET}` }],
    ['Basic with any user (.netrc)', { authorization: basic(`alice:${SECRET}`) }],
    ['Basic as CI writes it', { authorization: basic(`gitlab-ci-token:${SECRET}`) }],
    ['Basic with an empty user', { authorization: basic(`:${SECRET}`) }],
  ];
  for (const [name, headers] of accepted) {
    test(`accepts ${name}`, () => {
      const { caller, failure } = store.authenticate(remote(headers));
      assert.equal(failure, undefined);
      assert.equal(caller.tokenName, 'team');
      assert.equal(caller.address, '203.0.113.9');
      assert.deepEqual(caller.grants.map((g) => g.pattern), ['group/*']);
    });
  }

  test('no credentials: anonymous, no failure', () => {
    const { caller, failure } = store.authenticate(remote({}));
    assert.equal(caller.tokenName, undefined);
    assert.deepEqual(caller.grants, []);
    assert.equal(failure, undefined);
  });

  const malformed: Array<[string, string]> = [
    ['Basic without a colon', basic(SECRET)],
    ['Basic with an empty password', basic('alice:')],
    ['Basic that is not base64', 'Basic ***'],
    ['an unknown scheme', `Token ${SECRET}`],
    ['a scheme without credentials', 'Bearer '],
    ['no scheme', SECRET],
  ];
  for (const [name, authorization] of malformed) {
    test(`${name} is anonymous with a failure`, () => {
      const { caller, failure } = store.authenticate(remote({ authorization }));
      assert.equal(caller.tokenName, undefined);
      assert.deepEqual(failure, { reason: 'malformed credentials', tokenName: undefined });
    });
  }

  test('an empty token header is malformed', () => {
    assert.equal(store.authenticate(remote({ 'private-token': '' })).failure?.reason, 'malformed credentials');
  });

  test('an unknown token is anonymous, and its failure names no token', () => {
    const { caller, failure } = store.authenticate(remote({ 'private-token': `${SECRET}x` }));
    assert.equal(caller.tokenName, undefined);
    assert.deepEqual(failure, { reason: 'unknown token', tokenName: undefined });
  });

  test('the hash is looked up, not the secret: a stored hash presented as a token does not work', () => {
    assert.equal(store.authenticate(remote({ 'private-token': hashToken(SECRET) })).failure?.reason, 'unknown token');
  });

  test('token headers win over Authorization', () => {
    const { caller } = store.authenticate(remote({ 'private-token': SECRET, authorization: 'Bearer ggp_old' }));
    assert.equal(caller.tokenName, 'team');
  });
});

describe('expiry', () => {
  test('a date ends the token at the start of that day, UTC', () => {
    const { caller, failure } = store.authenticate(remote({ 'private-token': 'ggp_old' }));
    assert.equal(caller.tokenName, undefined);
    assert.deepEqual(failure, { reason: 'expired token', tokenName: 'old' });
  });

  test('a timestamp with offset is exact', () => {
    assert.equal(store.authenticate(remote({ 'private-token': 'ggp_later' })).failure?.reason, 'expired token');
    assert.equal(store.authenticate(remote({ 'private-token': 'ggp_soon' })).caller.tokenName, 'soon');
  });

  test('the clock is read per request', () => {
    let now = Date.parse('2024-05-31T23:59:59Z');
    const clocked = new TokenStore([{
      name: 'old',
      sha256: hashToken('ggp_old'),
      grants: ['**'],
      expires: '2024-06-01',
    }], () => now);
    assert.equal(clocked.authenticate(remote({ 'private-token': 'ggp_old' })).caller.tokenName, 'old');
    now += 1000;
    assert.equal(clocked.authenticate(remote({ 'private-token': 'ggp_old' })).caller.tokenName, undefined);
  });

  test('parseExpiry accepts dates and offset timestamps only', () => {
    assert.equal(parseExpiry('2024-06-01'), Date.parse('2024-06-01T00:00:00Z'));
    assert.equal(parseExpiry('2024-06-01T14:00+02:00'), Date.parse('2024-06-01T12:00:00Z'));
    assert.equal(parseExpiry('2024-06-01T14:00:00.5Z'), Date.parse('2024-06-01T14:00:00.500Z'));
    for (const bad of ['2024-02-30', '2024-13-01', '2024-06-01T14:00:00', '06/01/2024', 'tomorrow', '']) {
      assert.equal(parseExpiry(bad), undefined, bad);
    }
  });
});

describe('constant-time lookup', () => {
  const digest = (secret: string) => Buffer.from(hashToken(secret), 'hex');
  const entries = ['ggp_a', 'ggp_b', 'ggp_c'].map((secret) => ({ secret, digest: digest(secret) }));

  for (const [name, secret] of [['the first', 'ggp_a'], ['the last', 'ggp_c'], ['none', 'ggp_x']]) {
    test(`compares every 32-byte digest when ${name} matches`, () => {
      const compared: Array<[number, number]> = [];
      const found = findByDigest(entries, digest(secret), (a, b) => {
        compared.push([a.length, b.length]);
        return timingSafeEqual(a, b);
      });
      assert.equal(found?.secret, secret === 'ggp_x' ? undefined : secret);
      assert.deepEqual(compared, [[32, 32], [32, 32], [32, 32]]);
    });
  }

  test('finds with the default comparison (crypto.timingSafeEqual)', () => {
    assert.equal(findByDigest(entries, digest('ggp_b'))?.secret, 'ggp_b');
  });
});

describe('where the caller is', () => {
  test('its address and whether it is local come from the request, through the trusted proxies the store has', () => {
    const caller = (store: TokenStore, remoteAddress: string, headers: CallerRequest['headers'] = {}) =>
      store.authenticate({ headers, remoteAddress }).caller;
    assert.deepEqual(
      [caller(store, '127.0.0.1').local, caller(store, '::1', { 'x-forwarded-for': '203.0.113.9' }).local],
      [true, false],
    );
    const proxied = new TokenStore([], Date.now, new TrustedProxies(['127.0.0.1']));
    const forwarded = caller(proxied, '127.0.0.1', { 'x-forwarded-for': '203.0.113.9', 'private-token': 'x' });
    assert.deepEqual([forwarded.address, forwarded.local], ['203.0.113.9', false]);
    assert.equal(caller(proxied, '127.0.0.1', { 'x-forwarded-for': '::1' }).local, true);
    assert.equal(caller(proxied, '127.0.0.1').local, false);
  });
});

describe('mayRead', () => {
  const caller = (grants: string[], local = false): Caller => ({
    tokenName: grants.length ? 't' : undefined,
    grants: grants.map(compileGrant),
    address: 'x',
    addressKey: 'x',
    local,
  });
  const project = (fullPath: string, visibility: Visibility) => ({ fullPath, visibility });

  test('public: everyone', () => {
    assert.equal(mayRead(caller([]), project('group/app', 'public')), true);
  });

  test('private: only a granting token, local or not', () => {
    assert.equal(mayRead(caller([], true), project('group/app', 'private')), false);
    assert.equal(mayRead(caller(['other/*']), project('group/app', 'private')), false);
    assert.equal(mayRead(caller(['group/*']), project('group/app', 'private')), true);
  });

  test('local: loopback callers or a granting token', () => {
    assert.equal(mayRead(caller([], true), project('group/app', 'local')), true);
    assert.equal(mayRead(caller([]), project('group/app', 'local')), false);
    assert.equal(mayRead(caller(['group/app']), project('group/app', 'local')), true);
  });
});

describe('grant globs', () => {
  const cases: Array<[pattern: string, matching: string[], notMatching: string[]]> = [
    ['group/app', ['group/app'], ['group/app2', 'group/app/sub', 'group', 'other/group/app']],
    ['group/*', ['group/app', 'group/x.y'], ['group', 'group/sub/app', 'groupie/app', 'other/group/app']],
    ['group/**', ['group/app', 'group/sub/app', 'group/a/b/c'], ['group', 'groupie/app']],
    ['group/app-*', ['group/app-one', 'group/app-'], ['group/app', 'group/app-one/x']],
    ['**/app', ['group/app', 'a/b/app'], ['app', 'group/app/x']],
    ['**', ['app', 'group/app', 'a/b/c'], []],
    ['group/**/tools', ['group/x/tools', 'group/x/y/tools'], ['group/tools']],
    ['a.b/*', ['a.b/c'], ['axb/c']],
  ];
  for (const [pattern, matching, notMatching] of cases) {
    test(pattern, () => {
      const grant = compileGrant(pattern);
      for (const path of matching) assert.equal(grant.matches(path), true, `${pattern} should match ${path}`);
      for (const path of notMatching) assert.equal(grant.matches(path), false, `${pattern} should not match ${path}`);
    });
  }

  test('malformed patterns are refused', () => {
    for (const bad of ['', '/group', 'group/', 'group//app', 'group/../x', './group', 'group/a**']) {
      assert.notEqual(grantPatternError(bad), undefined, bad);
      assert.throws(() => compileGrant(bad), /grant/);
    }
  });
});

test('logAuthEvent writes one JSON line with the token name and the client, never a secret', () => {
  const lines: string[] = [];
  logAuthEvent(
    { event: 'access denied', project: 'group/app', token: 'team', client: '203.0.113.9' },
    new Logger({ write: (line) => lines.push(line) }),
  );
  assert.equal(lines.length, 1);
  const line = lines[0];
  assert.doesNotMatch(line.trimEnd(), /\n/);
  const parsed = JSON.parse(line);
  assert.equal(parsed.level, 'warn');
  assert.equal(parsed.msg, 'access denied');
  assert.equal(parsed.token, 'team');
  assert.equal(parsed.client, '203.0.113.9');
  assert.equal(parsed.project, 'group/app');
  assert.ok(!Number.isNaN(Date.parse(parsed.time)));
});
