/**
 * The upstream client (lib/upstream/client.ts) against loopback servers: the go command's rule for
 * a comma-separated GOPROXY (the next upstream only after 404 or 410), redirects, what is sent
 * (never a client's credential; an operator's own credential to its origin only).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ProxyError } from '../../lib/common/errors.ts';
import { UpstreamClient } from '../../lib/upstream/client.ts';

interface Seen {
  readonly server: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

const seen: Seen[] = [];
const servers: Server[] = [];
const urls: Record<string, string> = {};

/** A server that answers every request with `status` (and `body`, or a redirect to `location`). */
async function serve(name: string, status: number, body = '', location?: (url: string) => string): Promise<void> {
  const server = createServer((req, res) => {
    seen.push({ server: name, url: req.url ?? '', headers: req.headers });
    if (location !== undefined) res.setHeader('Location', location(req.url ?? ''));
    res.writeHead(status).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  urls[name] = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

before(async () => {
  await serve('missing', 404, 'not found: no such module\nsecond line');
  await serve('gone', 410, '');
  await serve('ok', 200, 'v1.0.0\n');
  await serve('forbidden', 403, 'forbidden: not on the approved list');
  await serve('broken', 500, 'oops');
  await serve('elsewhere', 302, '', (url) => `${urls.ok}/moved${url}`);
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  urls.refused = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
});

after(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

async function outcome(bases: string[]): Promise<string> {
  const client = new UpstreamClient({ bases, timeoutMs: 5_000 });
  try {
    return (await client.getBytes('example.com/m/@v/list', 1024)).toString();
  } catch (error) {
    assert.ok(error instanceof ProxyError, String(error));
    return `${error.kind}: ${error.message}`;
  } finally {
    client.close();
  }
}

test('the next upstream is asked only after a 404 or 410, as the go command does', async () => {
  seen.length = 0;
  assert.equal(await outcome([urls.missing!, urls.gone!, urls.ok!]), 'v1.0.0\n');
  assert.deepEqual(seen.map((s) => s.server), ['missing', 'gone', 'ok']);
  assert.equal(
    await outcome([urls.missing!, urls.gone!]),
    `not-found: not found: ${urls.gone}/example.com/m/@v/list: 410`,
  );
  assert.equal(await outcome([urls.gone!, urls.missing!]), 'not-found: not found: not found: no such module');
  seen.length = 0;
  assert.equal(
    await outcome([urls.forbidden!, urls.ok!]),
    `upstream-failed: upstream failed: ${urls.forbidden}/example.com/m/@v/list: 403 forbidden: not on the approved list`,
  );
  assert.match(await outcome([urls.broken!, urls.ok!]), /^upstream-failed: .*: 500 oops$/);
  assert.match(await outcome([urls.refused!, urls.ok!]), /^upstream-failed: .*ECONNREFUSED/);
  assert.deepEqual(seen.map((s) => s.server), ['forbidden', 'broken']);
});

test('redirects are followed; the operator credential in a base URL goes to its own origin only', async () => {
  seen.length = 0;
  const withCredential = urls.elsewhere!.replace('http://', 'http://ops:s3cret@');
  assert.equal(await outcome([withCredential]), 'v1.0.0\n');
  assert.deepEqual(seen.map((s) => [s.server, s.url]), [
    ['elsewhere', '/example.com/m/@v/list'],
    ['ok', '/moved/example.com/m/@v/list'],
  ]);
  assert.equal(seen[0]!.headers.authorization, `Basic ${Buffer.from('ops:s3cret').toString('base64')}`);
  assert.equal(seen[1]!.headers.authorization, undefined);
  assert.deepEqual(Object.keys(seen[1]!.headers).sort(), ['accept-encoding', 'connection', 'host', 'user-agent']);
});

test('an answer over the bound is refused', async () => {
  const client = new UpstreamClient({ bases: [urls.ok!] });
  try {
    await assert.rejects(client.getBytes('m/@v/list', 3), /over 3 bytes/);
  } finally {
    client.close();
  }
});
