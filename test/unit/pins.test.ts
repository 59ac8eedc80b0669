/**
 * The pin store's JSON-lines file (lib/pins/file-store.ts): records and merges, refusals of
 * contradicting or malformed pins, concurrent appends and readers, torn and bad lines, several
 * processes sharing one file, and the load time of a large file.
 */
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { PINS_FILE, PinConflictError, PinStore, type Pin } from '../../lib/pins/file-store.ts';
import { withTempDir } from '../support/temp.ts';

const COMMIT_A = 'a'.repeat(40);
const COMMIT_B = 'b'.repeat(40);
const MOD = 'h1:' + 'M'.repeat(43) + '=';
const ZIP = 'h1:' + 'Z'.repeat(43) + '=';
const OTHER_ZIP = 'h1:' + 'Y'.repeat(43) + '=';

const pin = (version: string, extra: Partial<Pin> = {}): Pin => ({
  module: 'go.example.com/group/mod',
  version,
  commit: COMMIT_A,
  time: '2020-01-02T03:04:05Z',
  mod: MOD,
  ...extra,
});

const lines = (dir: string) => readFileSync(join(dir, PINS_FILE), 'utf8').split('\n').filter((line) => line !== '');

test('pins: a recorded pin is on disk as one JSON line and loads again', async () => {
  await withTempDir('pins', async (dir) => {
    const dataDir = join(dir, 'data', 'nested');
    const store = PinStore.open(dataDir);
    await store.record(pin('v1.0.0', { zip: ZIP }));
    await store.close();
    assert.deepEqual(JSON.parse(lines(dataDir)[0]!), pin('v1.0.0', { zip: ZIP }));
    const reopened = PinStore.open(dataDir);
    assert.deepEqual(reopened.get('go.example.com/group/mod', 'v1.0.0'), pin('v1.0.0', { zip: ZIP }));
    assert.deepEqual(reopened.versions('go.example.com/group/mod'), ['v1.0.0']);
    assert.equal(reopened.get('go.example.com/group/mod', 'v1.0.1'), undefined);
    assert.equal(reopened.size, 1);
    await reopened.close();
  });
});

test('pins: a zip hash is added by a second line, and the two lines merge on load', async () => {
  await withTempDir('pins', async (dir) => {
    const store = PinStore.open(dir);
    await store.record(pin('v1.0.0'));
    await store.record(pin('v1.0.0'));
    assert.equal(lines(dir).length, 1, 'recording the same pin again writes nothing');
    await store.record(pin('v1.0.0', { zip: ZIP }));
    await store.record(pin('v1.0.0'));
    assert.equal(lines(dir).length, 2);
    await store.close();
    const reopened = PinStore.open(dir);
    assert.deepEqual(reopened.get('go.example.com/group/mod', 'v1.0.0'), pin('v1.0.0', { zip: ZIP }));
    await reopened.close();
  });
});

test('pins: a different commit, go.mod or zip hash for a pinned version is refused', async () => {
  await withTempDir('pins', async (dir) => {
    const store = PinStore.open(dir);
    await store.record(pin('v1.0.0', { zip: ZIP }));
    await assert.rejects(store.record(pin('v1.0.0', { commit: COMMIT_B, zip: ZIP })), PinConflictError);
    await assert.rejects(store.record(pin('v1.0.0', { mod: ZIP })), PinConflictError);
    await assert.rejects(store.record(pin('v1.0.0', { zip: OTHER_ZIP })), (error: PinConflictError) => {
      assert.match(error.message, /go\.example\.com\/group\/mod@v1\.0\.0: pinned .* zip h1:Z+=, now .* zip h1:Y+=/);
      return true;
    });
    assert.equal(lines(dir).length, 1);
    await store.close();
  });
});

test('pins: malformed pins are refused before anything is written', async () => {
  await withTempDir('pins', async (dir) => {
    const store = PinStore.open(dir);
    await assert.rejects(store.record(pin('v1.0.0', { commit: 'abc' })), /bad commit "abc"/);
    await assert.rejects(store.record(pin('v1.0.0', { time: '2020-01-02' })), /bad time/);
    await assert.rejects(store.record(pin('v1.0.0', { zip: 'sha256:x' })), /bad zip/);
    await assert.rejects(store.record(pin('', {})), /bad version/);
    await store.close();
    assert.equal(readFileSync(join(dir, PINS_FILE), 'utf8'), '');
  });
});

test('pins: concurrent records all reach the file, and a racing reader sees a pin while it is written', async () => {
  await withTempDir('pins', async (dir) => {
    const store = PinStore.open(dir);
    const versions = Array.from({ length: 200 }, (_, i) => `v1.0.${i}`);
    const writes = versions.map((v) => store.record(pin(v)));
    assert.deepEqual(store.get('go.example.com/group/mod', 'v1.0.7'), pin('v1.0.7'));
    await assert.rejects(store.record(pin('v1.0.7', { commit: COMMIT_B })), PinConflictError);
    await Promise.all(writes);
    await store.close();
    assert.equal(lines(dir).length, 200);
    const reopened = PinStore.open(dir);
    assert.deepEqual(reopened.versions('go.example.com/group/mod').sort(), versions.sort());
    assert.equal(reopened.all().length, 200);
    await reopened.close();
  });
});

test('pins: a torn last line is not read; the record glued to it by the next append is, with a warning', async () => {
  await withTempDir('pins', async (dir) => {
    const store = PinStore.open(dir);
    await store.record(pin('v1.0.0'));
    await store.close();
    appendFileSync(join(dir, PINS_FILE), '{"module":"go.example.com/group/mod","version":"v1.0.1","com');
    const warnings: string[] = [];
    const reopened = PinStore.open(dir, (message) => warnings.push(message));
    assert.equal(reopened.endedTorn, true);
    assert.equal(reopened.get('go.example.com/group/mod', 'v1.0.1'), undefined);
    await reopened.record(pin('v1.0.2'));
    assert.deepEqual(warnings, [`${join(dir, PINS_FILE)}:2: dropped a torn fragment of an earlier append (a crash during a write)`]);
    await reopened.close();
    const again = PinStore.open(dir);
    assert.equal(again.endedTorn, false);
    assert.deepEqual(again.versions('go.example.com/group/mod').sort(), ['v1.0.0', 'v1.0.2']);
    await again.close();
  });
});

test('pins: a bad line that is not the last stops loading with file and line', async () => {
  await withTempDir('pins', async (dir) => {
    const file = join(dir, PINS_FILE);
    writeFileSync(file, `${JSON.stringify(pin('v1.0.0'))}\nnot json\n${JSON.stringify(pin('v1.0.1'))}\n`);
    assert.throws(() => PinStore.open(dir), { name: 'ConfigError', message: `config: dataDir: ${file}:2: not a pin record` });
    writeFileSync(file, `${JSON.stringify(pin('v1.0.0'))}\n${JSON.stringify({ ...pin('v1.0.1'), mod: 'h1:short' })}\n`);
    assert.throws(() => PinStore.open(dir), { message: `config: dataDir: ${file}:2: pin: bad mod "h1:short"` });
    writeFileSync(join(dir, 'plain-file'), '');
    assert.throws(() => PinStore.open(join(dir, 'plain-file', 'data')), { name: 'ConfigError', message: /^config: dataDir: ENOTDIR/ });
  });
});

test('pins: of two contradicting lines the first wins, with a warning', async () => {
  await withTempDir('pins', async (dir) => {
    const file = join(dir, PINS_FILE);
    writeFileSync(file, `${JSON.stringify(pin('v1.0.0'))}\n${JSON.stringify(pin('v1.0.0', { commit: COMMIT_B }))}\n`);
    const warnings: string[] = [];
    const store = PinStore.open(dir, (message) => warnings.push(message));
    assert.equal(store.get('go.example.com/group/mod', 'v1.0.0')?.commit, COMMIT_A);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, new RegExp(`^${file}:2: ignored, an earlier line pinned it first: .*pinned commit a+ .* now commit b+`));
    await store.close();
  });
});

test('pins: processes sharing the file see each other\'s pins, and the first to append wins a race', async () => {
  await withTempDir('pins', async (dir) => {
    const one = PinStore.open(dir);
    const two = PinStore.open(dir);
    await one.record(pin('v1.0.0', { zip: ZIP }));
    assert.deepEqual(two.get('go.example.com/group/mod', 'v1.0.0'), pin('v1.0.0', { zip: ZIP }));
    assert.deepEqual(two.versions('go.example.com/group/mod'), ['v1.0.0']);
    await assert.rejects(two.record(pin('v1.0.0', { commit: COMMIT_B })), PinConflictError);

    const results = await Promise.allSettled([one.record(pin('v1.0.1')), two.record(pin('v1.0.1', { commit: COMMIT_B }))]);
    assert.deepEqual(results.map((result) => result.status).sort(), ['fulfilled', 'rejected']);
    assert.ok((results.find((result) => result.status === 'rejected') as PromiseRejectedResult).reason instanceof PinConflictError);
    const winner = results[0]!.status === 'fulfilled' ? COMMIT_A : COMMIT_B;
    assert.equal(one.get('go.example.com/group/mod', 'v1.0.1')?.commit, winner);
    assert.equal(two.get('go.example.com/group/mod', 'v1.0.1')?.commit, winner);
    await Promise.all([one.close(), two.close()]);
  });
});

test('pins: 100,000 records load in bounded time', async () => {
  await withTempDir('pins', async (dir) => {
    const record = (i: number) => JSON.stringify(pin(`v1.${Math.floor(i / 1000)}.${i % 1000}`, { module: `go.example.com/group/m${i % 97}`, zip: ZIP }));
    writeFileSync(join(dir, PINS_FILE), Array.from({ length: 100_000 }, (_, i) => `${record(i)}\n`).join(''));
    const started = performance.now();
    const store = PinStore.open(dir);
    const elapsed = performance.now() - started;
    assert.equal(store.size, 100_000);
    // About a second (it is JSON.parse of each line); the bound catches anything worse than linear
    // while leaving room for coverage instrumentation on a busy CI machine.
    assert.ok(elapsed < 20_000, `loading took ${Math.round(elapsed)} ms`);
    await store.close();
  });
});
