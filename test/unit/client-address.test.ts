/**
 * Where a request comes from (lib/access/client-address.ts): which requests are `local` with no
 * reverse proxy declared (loopback, a local `Host`, no sign of a forwarding proxy: every header the
 * second review got through with), and with `trustedProxies` (only a trusted proxy naming a client
 * on loopback), the client address read from trusted proxies only, and IPv6 clients keyed by /64.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  addressKey,
  clientOf,
  type ClientRequest,
  isLoopback,
  TrustedProxies,
  trustedProxyError,
} from '../../lib/access/client-address.ts';

const NONE = new TrustedProxies();
const request = (remoteAddress: string, headers: ClientRequest['headers'] = {}): ClientRequest => ({
  headers: { host: '127.0.0.1:8080', ...headers },
  remoteAddress,
});

describe('without a declared reverse proxy', () => {
  const local = (remoteAddress: string, headers: ClientRequest['headers'] = {}) =>
    clientOf(request(remoteAddress, headers), NONE).local;

  test('a loopback connection naming this machine is local', () => {
    for (const address of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1', '0:0:0:0:0:0:0:1']) {
      assert.equal(local(address), true, address);
    }
    for (const host of ['localhost:8080', 'go.localhost', '[::1]:8080', '127.0.0.1']) {
      assert.equal(local('127.0.0.1', { host }), true, host);
    }
    assert.equal(clientOf({ headers: {}, remoteAddress: '::1' }, NONE).local, true, 'HTTP/1.0 without Host');
  });

  test('other peers are not', () => {
    for (const address of ['10.0.0.1', '::ffff:10.0.0.1', '::2', '1127.0.0.1', '']) {
      assert.equal(local(address), false, address);
    }
  });

  test('a Host other than this machine is a proxy passing the public name on: not local', () => {
    for (const host of ['git.example.com', 'git.example.com:443', '203.0.113.9', 'localhost.example.com']) {
      assert.equal(local('127.0.0.1', { host }), false, host);
    }
  });

  test("every header the second review got through a same-host proxy with, and the first round's, makes it not local", () => {
    const headers = [
      'x-forwarded-proto',
      'x-forwarded-port',
      'x-forwarded-server',
      'x-forwarded-prefix',
      'x-original-forwarded-for',
      'x-envoy-external-address',
      'client-ip',
      'forwarded-for',
      'x-forwarded',
      'forwarded',
      'via',
      'x-forwarded-for',
      'x-forwarded-host',
      'x-real-ip',
      'x-client-ip',
      'true-client-ip',
      'cf-connecting-ip',
      'fastly-client-ip',
      'x-cluster-client-ip',
      'cdn-loop',
      'x-original-uri',
      'x-envoy-original-path',
      'x-azure-clientip',
      'x-appengine-user-ip',
    ];
    for (const name of headers) assert.equal(local('127.0.0.1', { [name]: '203.0.113.9' }), false, name);
  });

  test('the address is the peer, whatever a header says', () => {
    const client = clientOf(request('10.0.0.7', { 'x-forwarded-for': '127.0.0.1' }), NONE);
    assert.deepEqual(client, { address: '10.0.0.7', local: false, addressKey: '10.0.0.7' });
  });
});

describe('with trustedProxies', () => {
  const proxies = new TrustedProxies(['127.0.0.1', '10.1.0.0/16', 'fd00::/8']);
  const through = (remoteAddress: string, forwardedFor?: string, headers: ClientRequest['headers'] = {}) => {
    const { address, local, addressKey: key } = clientOf(
      request(remoteAddress, forwardedFor === undefined ? headers : { ...headers, 'x-forwarded-for': forwardedFor }),
      proxies,
    );
    assert.equal(key, addressKey(address), 'counted by its address');
    return { address, local };
  };

  test('a trusted proxy naming a client on loopback makes the request local', () => {
    assert.deepEqual(through('127.0.0.1', '127.0.0.1'), { address: '127.0.0.1', local: true });
    assert.deepEqual(through('10.1.2.3', '::1'), { address: '::1', local: true });
    assert.equal(through('127.0.0.1', '127.0.0.1', { host: 'git.example.com', via: '1.1 nginx' }).local, true);
  });

  test('the client is the rightmost address that is not a trusted proxy: what the client wrote itself does not count', () => {
    assert.deepEqual(through('127.0.0.1', '127.0.0.1, 203.0.113.9'), { address: '203.0.113.9', local: false });
    assert.deepEqual(through('127.0.0.1', '198.51.100.1, 203.0.113.9, 10.1.0.5'), {
      address: '203.0.113.9',
      local: false,
    });
    assert.deepEqual(through('127.0.0.1', '2001:db8::7'), { address: '2001:db8::7', local: false });
    assert.deepEqual(through('127.0.0.1', '10.1.0.9, 10.1.0.5'), { address: '10.1.0.9', local: false });
  });

  test('a proxy that names no client, or a malformed one, is not local, and the proxy is the client', () => {
    assert.deepEqual(through('127.0.0.1'), { address: '127.0.0.1', local: false });
    assert.deepEqual(through('127.0.0.1', 'unknown'), { address: '127.0.0.1', local: false });
    assert.deepEqual(through('127.0.0.1', '127.0.0.1, nonsense'), { address: '127.0.0.1', local: false });
    assert.deepEqual(through('127.0.0.1', ''), { address: '127.0.0.1', local: false });
  });

  test('with a proxy declared, nothing else is local, and no one else is believed', () => {
    assert.deepEqual(through('127.0.0.2', '127.0.0.1'), { address: '127.0.0.2', local: false });
    assert.deepEqual(through('::1'), { address: '::1', local: false });
    assert.deepEqual(through('203.0.113.9', '127.0.0.1'), { address: '203.0.113.9', local: false });
  });

  test('entries are addresses or CIDR ranges', () => {
    for (const good of ['127.0.0.1', '::1', '10.0.0.0/8', 'fd00::/8', '0.0.0.0/0']) {
      assert.equal(trustedProxyError(good), undefined, good);
    }
    for (const bad of ['', 'localhost', '10.0.0.0/33', '::/129', '10.0.0.1/', '10.0.0.0/8/1', '10.0.0.0/x']) {
      assert.match(trustedProxyError(bad) ?? '', /IP address or a CIDR range/, bad);
    }
    assert.equal(new TrustedProxies(['127.0.0.1']).has('::ffff:127.0.0.1'), true, 'a mapped peer is IPv4');
    assert.equal(new TrustedProxies(['10.0.0.0/8']).has('not an address'), false);
  });
});

describe('addressKey and isLoopback', () => {
  test('an IPv6 client counts by its /64, an IPv4 one by its address', () => {
    assert.equal(addressKey('2001:db8:1:2:aaaa::1'), addressKey('2001:db8:1:2:ffff:ffff:ffff:ffff'));
    assert.equal(addressKey('2001:db8:1:2::1'), '2001:0db8:0001:0002::/64');
    assert.notEqual(addressKey('2001:db8:1:2::1'), addressKey('2001:db8:1:3::1'));
    assert.equal(addressKey('::ffff:203.0.113.9'), '203.0.113.9');
    assert.equal(addressKey('203.0.113.9'), '203.0.113.9');
    assert.equal(addressKey('::'), '0000:0000:0000:0000::/64');
    assert.equal(addressKey('fe80::1%eth0'), 'fe80:0000:0000:0000::/64');
    assert.equal(addressKey('not an address'), 'not an address');
  });

  test('loopback is 127.0.0.0/8 and ::1 in any spelling', () => {
    for (const yes of ['127.0.0.1', '127.255.0.1', '::1', '0::1', '::ffff:127.0.0.1', '::0:1']) {
      assert.equal(isLoopback(yes), true, yes);
    }
    for (const no of ['128.0.0.1', '::2', '::', 'localhost', '127.0.0.1.example.com', '::ffff:7f00:1x']) {
      assert.equal(isLoopback(no), false, no);
    }
  });
});
