/**
 * A first download starts before the size rules are decided (zip/source.ts `ZipLayout`): the names
 * are listed and judged before the status line, the sizes while the files stream, and the zip's end
 * waits for them. A version that the sizes refuse must then never be a short 200: its connection is
 * cut before the central directory, and the next request gets the 4xx with the reason; a HEAD waits
 * for the verdict. A version the sizes allow streams whole on its first download, its hash as on a repeat.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { MAX_LICENSE } from '../../lib/zip/rules.ts';
import { createRepo } from '../support/git-fixture.ts';
import { fetchOnce } from '../support/http-fetch.ts';
import { type RunningProxy, startProxy } from '../support/proxy-server.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';
import { zipHash } from '../support/zip-hash.ts';

const HOST = 'go.localhost';
const DATE = '2023-01-02T03:04:05Z';
/** The end of central directory record's signature, which a whole zip ends with (22 bytes from its end). */
const END_SIGNATURE = Buffer.from('PK\x05\x06', 'latin1');

let root: string;
let proxy: RunningProxy;

before(async () => {
  root = await makeTempDir('zip-verdict');
  for (const name of ['big', 'head']) {
    const repo = await createRepo(join(root, 'repos'), `group/${name}`);
    // Only its size refuses it: the names are fine, so a first download starts streaming.
    await repo.commit({
      'go.mod': `module ${HOST}/group/${name}\n`,
      'LICENSE': Buffer.alloc(MAX_LICENSE + 1, 'x'),
      'a.go': 'package a\n',
    }, { date: DATE });
    await repo.tag('v1.0.0');
    await repo.commit({ 'LICENSE': Buffer.alloc(MAX_LICENSE, 'x') }, { date: DATE });
    await repo.tag('v1.1.0');
  }
  // At `store` a zip is one git archive, started with the listing: the first byte never waits for the sizes.
  proxy = await startProxy({ repos: join(root, 'repos'), moduleHost: HOST, compression: 'store' });
});

after(async () => {
  await proxy?.close();
  await removeDir(root);
});

test('a zip refused by its sizes after the first byte is cut before its end; the next request is the 4xx', async () => {
  const url = `${proxy.url}/${HOST}/group/big/@v/v1.0.0.zip`;
  const first = await fetchOnce(url);
  assert.equal(first.status, 200, 'the zip had started');
  assert.equal(first.complete, false, 'the connection is cut');
  assert.ok(first.body.length > MAX_LICENSE / 2, `the files streamed (${first.body.length} bytes)`);
  assert.equal(first.body.lastIndexOf(END_SIGNATURE), -1, 'no end record: no zip reader takes it');
  const second = await fetchOnce(url);
  assert.equal(second.status, 404);
  assert.match(second.body.toString(), /create zip: LICENSE: LICENSE file too large/);
  assert.equal(second.complete, true);
});

test('a HEAD waits for the size rules', async () => {
  const head = await fetchOnce(`${proxy.url}/${HOST}/group/head/@v/v1.0.0.zip`, { method: 'HEAD' });
  assert.equal(head.status, 404);
  const allowed = await fetchOnce(`${proxy.url}/${HOST}/group/head/@v/v1.1.0.zip`, { method: 'HEAD' });
  assert.equal(allowed.status, 200);
});

test('a zip the sizes allow streams whole on its first download, as on a repeat', async () => {
  const url = `${proxy.url}/${HOST}/group/big/@v/v1.1.0.zip`;
  const first = await fetchOnce(url);
  const repeat = await fetchOnce(url);
  for (const answer of [first, repeat]) {
    assert.equal(answer.status, 200);
    assert.equal(answer.complete, true);
  }
  assert.equal(zipHash(first.body), zipHash(repeat.body));
  assert.ok(first.body.equals(repeat.body), 'one git archive at store: the same bytes');
});
