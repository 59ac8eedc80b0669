/**
 * The JSON-lines pin store: the pin store compliance suite, then what is particular to the file:
 * its line format (with the owning project; old lines without one), torn and contradicting lines,
 * and load time.
 */
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { FilePinStore, PINS_FILE } from '../../lib/pins/file-store.ts';
import { type Pin, UNOWNED } from '../../lib/pins/store.ts';
import { compliancePin as pin, pinStoreCompliance } from '../support/pin-store-compliance.ts';
import { withTempDir } from '../support/temp.ts';

pinStoreCompliance('JSON lines', async (place) => FilePinStore.open(place));

const MODULE = 'go.example.com/group/mod';
const PROJECT = 'group/mod';
const COMMIT_B = 'b'.repeat(40);
const ZIP = `h1:${'Z'.repeat(43)}=`;

const lines = (dir: string) => readFileSync(join(dir, PINS_FILE), 'utf8').split('\n').filter((line) => line !== '');
/** A pin's line as the store writes it (module first: the mark torn lines are recovered by). */
const line = (each: Pin) => {
  const { module, version, ...rest } = each;
  return JSON.stringify({ module, version, ...rest });
};
/** A line as written before pins named their project. */
const oldLine = (version: string, extra: Partial<Pin> = {}) => {
  const { project: _project, ...rest } = pin(version, extra);
  return JSON.stringify(rest);
};

test('pins file: one JSON line per record, module first, with the owning project; a zip hash is a second line', async () => {
  await withTempDir('pins', async (dir) => {
    const dataDir = join(dir, 'data', 'nested');
    const store = FilePinStore.open(dataDir);
    await store.record(pin('v1.0.0'));
    await store.record(pin('v1.0.0', { zip: ZIP }));
    await store.close();
    assert.deepEqual(lines(dataDir), [
      `{"module":"${MODULE}","version":"v1.0.0","project":"${PROJECT}","commit":"${
        'a'.repeat(40)
      }","time":"2020-01-02T03:04:05Z","mod":"${pin('v1.0.0').mod}"}`,
      JSON.stringify({
        module: MODULE,
        version: 'v1.0.0',
        project: PROJECT,
        commit: 'a'.repeat(40),
        time: '2020-01-02T03:04:05Z',
        mod: pin('v1.0.0').mod,
        zip: ZIP,
      }),
    ]);
    const reopened = FilePinStore.open(dataDir);
    assert.equal(reopened.size, 1);
    await reopened.close();
  });
});

test("pins file: a line without a project belongs to whichever project asks for the module (the owner); the owner's own pin wins", async () => {
  await withTempDir('pins', async (dir) => {
    writeFileSync(join(dir, PINS_FILE), `${oldLine('v1.0.0')}\n${oldLine('v1.1.0')}\n`);
    const store = FilePinStore.open(dir);
    assert.deepEqual(await store.get(PROJECT, MODULE, 'v1.0.0'), pin('v1.0.0', { project: UNOWNED }));
    assert.deepEqual(await store.get('other', MODULE, 'v1.0.0'), pin('v1.0.0', { project: UNOWNED }));
    assert.deepEqual(await store.versions(PROJECT, MODULE), ['v1.0.0', 'v1.1.0']);
    await assert.rejects(store.record(pin('v1.0.0', { commit: COMMIT_B })), /pinned commit a+/);
    // Adding the zip hash writes the pin under its owner, which then wins over the old line.
    await store.record(pin('v1.0.0', { zip: ZIP }));
    assert.deepEqual(await store.get(PROJECT, MODULE, 'v1.0.0'), pin('v1.0.0', { zip: ZIP }));
    await store.record(pin('v1.2.0'));
    assert.deepEqual(await store.versions(PROJECT, MODULE), ['v1.0.0', 'v1.1.0', 'v1.2.0']);
    assert.deepEqual(await store.versions(UNOWNED, MODULE), ['v1.0.0', 'v1.1.0']);
    await store.close();
    assert.equal(lines(dir).length, 4);
  });
});

test('pins file: a torn last line is not read, with a warning; the record glued to it by the next append is', async () => {
  await withTempDir('pins', async (dir) => {
    const store = FilePinStore.open(dir);
    await store.record(pin('v1.0.0'));
    await store.close();
    appendFileSync(join(dir, PINS_FILE), `{"module":"${MODULE}","version":"v1.0.1","com`);
    const warnings: string[] = [];
    const reopened = FilePinStore.open(dir, (message) => warnings.push(message));
    assert.deepEqual(warnings, [`${join(dir, PINS_FILE)} ends in a torn line (a crash during a write): it is ignored`]);
    assert.equal(await reopened.get(PROJECT, MODULE, 'v1.0.1'), undefined);
    await reopened.record(pin('v1.0.2'));
    assert.equal(
      warnings[1],
      `${join(dir, PINS_FILE)}:2: dropped a torn fragment of an earlier append (a crash during a write)`,
    );
    await reopened.close();
    const quiet: string[] = [];
    const again = FilePinStore.open(dir, (message) => quiet.push(message));
    assert.equal(quiet.filter((message) => message.includes('ends in a torn line')).length, 0);
    assert.deepEqual(await again.versions(PROJECT, MODULE), ['v1.0.0', 'v1.0.2']);
    await again.close();
  });
});

test('pins file: a bad line that is not the last stops loading with file and line', async () => {
  await withTempDir('pins', async (dir) => {
    const file = join(dir, PINS_FILE);
    writeFileSync(file, `${line(pin('v1.0.0'))}\nnot json\n${line(pin('v1.0.1'))}\n`);
    assert.throws(() => FilePinStore.open(dir), {
      name: 'ConfigError',
      message: `config: dataDir: ${file}:2: not a pin record`,
    });
    writeFileSync(file, `${line(pin('v1.0.0'))}\n${line({ ...pin('v1.0.1'), mod: 'h1:short' })}\n`);
    assert.throws(() => FilePinStore.open(dir), { message: `config: dataDir: ${file}:2: pin: bad mod "h1:short"` });
    writeFileSync(file, `${line({ ...pin('v1.0.1'), project: 7 as unknown as string })}\n`);
    assert.throws(() => FilePinStore.open(dir), { message: `config: dataDir: ${file}:1: pin: bad project 7` });
    writeFileSync(join(dir, 'plain-file'), '');
    assert.throws(() => FilePinStore.open(join(dir, 'plain-file', 'data')), {
      name: 'ConfigError',
      message: /^config: dataDir: ENOTDIR/,
    });
  });
});

test('pins file: of two contradicting lines the first wins, with a warning', async () => {
  await withTempDir('pins', async (dir) => {
    const file = join(dir, PINS_FILE);
    writeFileSync(file, `${line(pin('v1.0.0'))}\n${line(pin('v1.0.0', { commit: COMMIT_B }))}\n`);
    const warnings: string[] = [];
    const store = FilePinStore.open(dir, (message) => warnings.push(message));
    assert.equal((await store.get(PROJECT, MODULE, 'v1.0.0'))?.commit, 'a'.repeat(40));
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0]!,
      new RegExp(`^${file}:2: ignored, an earlier line pinned it first: .*pinned commit a+ .* now commit b+`),
    );
    await store.close();
  });
});

test('pins file: 100,000 records load whole (how fast: the start-up with a million pins in npm run bench -- --only=scale)', async () => {
  await withTempDir('pins', async (dir) => {
    const record = (i: number) =>
      line(pin(`v1.${Math.floor(i / 1000)}.${i % 1000}`, { module: `go.example.com/group/m${i % 97}`, zip: ZIP }));
    writeFileSync(join(dir, PINS_FILE), Array.from({ length: 100_000 }, (_, i) => `${record(i)}\n`).join(''));
    const store = FilePinStore.open(dir);
    assert.equal(store.size, 100_000);
    assert.equal((await store.versions(PROJECT, 'go.example.com/group/m0')).length, 1031);
    await store.close();
  });
});
