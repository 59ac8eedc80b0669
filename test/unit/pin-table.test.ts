/**
 * The compact in-memory pins of the file store (lib/pins/pin-table.ts): every pin comes back as it
 * went in, SHA-1 and SHA-256 commits, with and without a zip hash; pins whose fields the binary
 * form would not give back byte for byte (non-canonical base64, an impossible date) are kept as
 * they are; a zip hash added later replaces the record in place; and the file written from it
 * reads back the same (the JSON-lines format is unchanged). A record loaded from its bytes gives
 * what the long way (`JSON.parse` and `set`) gave: a zip hash added by a later line, a contradicting
 * later line ignored with a warning, pins kept as objects beside compact ones, malformed lines refused.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { FilePinStore, PINS_FILE } from '../../lib/pins/file-store.ts';
import { isPlainPseudoVersion, pinLine } from '../../lib/pins/record-line.ts';
import { isPseudoVersion } from '../../lib/modules/pseudo.ts';
import { PinTable } from '../../lib/pins/pin-table.ts';
import { type Pin, UNOWNED } from '../../lib/pins/store.ts';
import { withTempDir } from '../support/temp.ts';

const hash = (fill: string, last = 'A') => `h1:${fill.repeat(42)}${last}=`;
const base: Pin = {
  project: 'g/p',
  module: 'go.example.com/g/p',
  version: 'v1.0.0',
  commit: 'a'.repeat(40),
  time: '2020-01-02T03:04:05Z',
  mod: hash('m'),
};

const samples: Pin[] = [
  base,
  { ...base, version: 'v1.0.1', zip: hash('z', 'w') },
  {
    ...base,
    version: 'v1.0.2',
    commit: '0123456789abcdef'.repeat(4),
    time: '1969-12-31T23:59:59Z',
    mod: hash('+', '8'),
  },
  { ...base, version: 'v1.0.3', project: UNOWNED },
  { ...base, module: 'go.example.com/g/p/sub', version: 'v1.0.0', time: '9999-12-31T23:59:59Z' },
  { ...base, version: 'v1.0.4', mod: hash('m', 'B'), zip: hash('z', 'x') },
  { ...base, version: 'v1.0.5', time: '2021-02-30T00:00:00Z' },
  { ...base, version: 'v1.0.6', time: '2021-13-01T00:00:00Z' },
];

test('every pin comes back as it went in, compact or kept as is', () => {
  const table = new PinTable();
  for (const pin of samples) table.set(pin);
  assert.equal(table.size, samples.length);
  for (const pin of samples) assert.deepEqual(table.get(pin.project, pin.module, pin.version), pin, pin.version);
  assert.deepEqual([...table.values()].sort(byKey), [...samples].sort(byKey));
  assert.equal(table.get('g/p', base.module, 'v9.9.9'), undefined);
  assert.equal(table.get('other', base.module, 'v1.0.0'), undefined);
  assert.equal(table.get(UNOWNED, base.module, 'v1.0.0'), undefined, 'an unowned pin is apart from owned ones');
});

test('a zip hash added later replaces the pin in place', () => {
  const table = new PinTable();
  for (let i = 0; i < 70_000; i++) table.set({ ...base, version: `v1.0.${i}` });
  table.set({ ...base, version: 'v1.0.69999', zip: hash('z') });
  table.set({ ...base, version: 'v1.0.3', mod: hash('m', 'B') });
  assert.equal(table.size, 70_000);
  assert.deepEqual(table.get('g/p', base.module, 'v1.0.69999'), { ...base, version: 'v1.0.69999', zip: hash('z') });
  assert.deepEqual(table.get('g/p', base.module, 'v1.0.3'), { ...base, version: 'v1.0.3', mod: hash('m', 'B') });
  assert.deepEqual(
    table.get('g/p', base.module, 'v1.0.65536'),
    { ...base, version: 'v1.0.65536' },
    'a record in the second buffer',
  );
});

test('the record file keeps its format: pins written, reloaded and exported read back the same', async () => {
  await withTempDir('pin-table', async (dir) => {
    const store = FilePinStore.open(dir);
    for (const pin of samples.filter((each) => each.project !== UNOWNED)) await store.record(pin);
    await store.close();
    const written = readFileSync(join(dir, PINS_FILE), 'utf8');
    assert.equal(
      written,
      samples.filter((each) => each.project !== UNOWNED).map((pin) => `${pinLine(pin)}\n`).join(''),
    );
    const reopened = FilePinStore.open(dir);
    const all: Pin[] = [];
    for await (const pin of reopened.all()) all.push(pin);
    assert.deepEqual(all.map(pinLine).sort(), written.trimEnd().split('\n').sort());
    await reopened.close();
  });
});

test('the record is read in parts: a line longer than a part, and a torn last line after it', async () => {
  await withTempDir('pin-table', async (dir) => {
    const long = { ...base, module: `go.example.com/${'x'.repeat(5 << 20)}` };
    writeFileSync(
      join(dir, PINS_FILE),
      `${pinLine(long)}\n${pinLine(base)}\n${pinLine({ ...base, version: 'v2.0.0' }).slice(0, 40)}`,
    );
    const warnings: string[] = [];
    const store = FilePinStore.open(dir, (warning) => warnings.push(warning));
    assert.equal(store.size, 2);
    assert.deepEqual(await store.get(long.project, long.module, long.version), long);
    assert.deepEqual(await store.get(base.project, base.module, base.version), base);
    assert.equal(warnings.length, 1, 'the torn line');
    await store.close();
  });
});

test('a record read from its bytes: zips added later, contradictions ignored, pins kept as objects beside compact ones', async () => {
  await withTempDir('pin-table', async (dir) => {
    const pseudo = { ...base, version: 'v0.0.0-20200102030405-abcdefabcdef' };
    const laterPseudo = { ...base, version: 'v1.0.1-0.20200102030405-abcdefabcdef', commit: 'b'.repeat(64) };
    const odd = { ...base, version: 'v1.1.0', time: '2021-02-30T00:00:00Z' };
    const lines = [
      pinLine(base),
      pinLine({ ...base, zip: hash('z') }),
      pinLine({ ...base, commit: 'c'.repeat(40), zip: hash('y') }),
      pinLine(pseudo),
      pinLine({ ...pseudo, zip: hash('q') }),
      pinLine(laterPseudo),
      pinLine(odd),
      pinLine({ ...odd, zip: hash('z') }),
      pinLine({ ...base, version: 'v1.2.0' }),
      `{"module":"${base.module}","version":"v1.3.0","commit":"${base.commit}","time":"${base.time}","mod":"${base.mod}"}`,
      pinLine({ ...base, version: 'v1.4.0', project: 'é/p' }),
    ];
    writeFileSync(join(dir, PINS_FILE), lines.map((line) => `${line}\n`).join(''));
    const warnings: string[] = [];
    const store = FilePinStore.open(dir, (warning) => warnings.push(warning));
    assert.equal(store.size, 7);
    assert.deepEqual(await store.get(base.project, base.module, base.version), { ...base, zip: hash('z') });
    assert.match(warnings.join('\n'), /:3: ignored, an earlier line pinned it first/);
    assert.equal(warnings.length, 1);
    assert.deepEqual(await store.get(base.project, base.module, pseudo.version), { ...pseudo, zip: hash('q') });
    assert.deepEqual(await store.get(base.project, base.module, laterPseudo.version), laterPseudo);
    assert.deepEqual(await store.get(base.project, base.module, odd.version), { ...odd, zip: hash('z') });
    assert.deepEqual(await store.get(base.project, base.module, 'v1.2.0'), { ...base, version: 'v1.2.0' });
    assert.deepEqual(await store.get('other', base.module, 'v1.3.0'), { ...base, version: 'v1.3.0', project: UNOWNED });
    assert.deepEqual(await store.get('é/p', base.module, 'v1.4.0'), { ...base, version: 'v1.4.0', project: 'é/p' });
    assert.deepEqual(await store.versions(base.project, base.module), ['v1.0.0', 'v1.1.0', 'v1.2.0', 'v1.3.0']);
    await store.close();
  });
});

test('a malformed plain line stops the load with its line number', async () => {
  const bad = [{ commit: 'A'.repeat(40) }, { time: '2020-01-02 03:04:05Z' }, { mod: 'h1:short=' }, { version: '' }, {
    module: '',
  }];
  for (const fields of bad) {
    await withTempDir('pin-table', async (dir) => {
      writeFileSync(join(dir, PINS_FILE), `${pinLine(base)}\n${pinLine({ ...base, version: 'v2.0.0', ...fields })}\n`);
      assert.throws(() => FilePinStore.open(dir), /:2: pin: bad/, JSON.stringify(fields));
    });
  }
});

test('the pseudo-versions known from their bytes are pseudo-versions', () => {
  const versions = [
    'v0.0.0-20200102030405-abcdefabcdef',
    'v12.0.0-20200102030405-0',
    'v1.0.0-20200102030405-123',
    'v0.0.0-00200102030405-abc',
    'v0.0.0-20200102030405-0123',
    'v00.0.0-20200102030405-abc',
    'v1.2.3',
    'v0.0.0-2020010203040-abc',
    'v0.0.0-20200102030405-',
    'v0.0.0-20200102030405-ab_c',
    'v1.0.1-0.20200102030405-abc',
    'v0.0.0-20200102030405-abc+build',
  ];
  for (const version of versions) {
    const bytes = Buffer.from(`"${version}"`, 'latin1');
    if (isPlainPseudoVersion(bytes, 1, bytes.length - 1)) assert.ok(isPseudoVersion(version), version);
  }
  assert.ok(isPlainPseudoVersion(Buffer.from('v0.0.0-20200102030405-abcdefabcdef'), 0, 34));
});

function byKey(a: Pin, b: Pin): number {
  const key = (pin: Pin) => `${pin.project} ${pin.module} ${pin.version}`;
  return key(a) < key(b) ? -1 : 1;
}
