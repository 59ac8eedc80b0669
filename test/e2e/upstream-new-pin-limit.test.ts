/**
 * Versions from an upstream are pinned as local ones are (README "One GOPROXY for everything"), in
 * the same record, for good. An anonymous caller (`upstreamAccess` defaults to `anyone`) can name
 * any version of any public module, millions of them, so upstream pins must be held to
 * `maxNewPinsPerMinute` per client as local pins are (README "Versions are immutable"); otherwise
 * one client grows `pins.jsonl` and the server's memory without bound, at the upstream's speed.
 *
 * Security review (third): fails today, the upstream's `.mod` and `.zip` take no client and pin
 * without the limit.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { startAnyModuleUpstream } from '../support/any-module-upstream.ts';
import { startProxy } from '../support/proxy-server.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';

test('an anonymous client pins at most maxNewPinsPerMinute upstream versions a minute', {
  todo: 'upstream pins bypass NewPinLimit (upstream/upstream-modules.ts mod/zip take no client)',
}, async () => {
  const root = await makeTempDir('upstream-new-pin-limit');
  const upstream = await startAnyModuleUpstream();
  const proxy = await startProxy({
    repos: join(root, 'repos'),
    dataDir: join(root, 'data'),
    upstream: [upstream.url],
    maxNewPinsPerMinute: 2,
  });
  try {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      statuses.push((await fetch(`${proxy.url}/example.com/any/@v/v1.0.${i}.mod`)).status);
    }
    const pins = (await readFile(join(root, 'data', 'pins.jsonl'), 'utf8')).split('\n').filter((line) => line !== '');
    assert.deepEqual({ statuses, pins: pins.length }, { statuses: [200, 200, 429, 429, 429, 429], pins: 2 });
  } finally {
    await proxy.close();
    await upstream.close();
    await removeDir(root);
  }
});
