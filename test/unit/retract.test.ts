/**
 * go.mod `retract` directives as modfile.ParseLax reads them (lib/modules/retract.ts, gomod-lax.ts),
 * with their rationale, and a large go.mod read in slices.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { laxGoMod, readLax, retractions } from '../../lib/modules/gomod-lax.ts';
import { isRetracted } from '../../lib/modules/retract.ts';

test('single versions, intervals, blocks, quotes and comments', () => {
  const goMod = [
    'module example.com/m',
    '',
    'go 1.19',
    '',
    'retract v1.0.0 // published by mistake',
    'retract [v1.1.0, v1.1.5]',
    'retract (',
    '  // rationale above',
    '  "v1.2.0"',
    '  [v1.3.0-rc.1, `v1.3.0`] // both ends quoted differently',
    ')',
    '// retract v9.9.9 is a comment',
    'require example.com/retract v1.0.0',
  ].join('\n');
  assert.deepEqual(retractions(goMod), [
    { low: 'v1.0.0', high: 'v1.0.0', rationale: 'published by mistake' },
    { low: 'v1.1.0', high: 'v1.1.5' },
    { low: 'v1.2.0', high: 'v1.2.0', rationale: 'rationale above' },
    { low: 'v1.3.0-rc.1', high: 'v1.3.0', rationale: 'both ends quoted differently' },
  ]);
});

test('the rationale: comment lines before the directive, then its own; a block lends its comment to lines without', () => {
  const goMod = [
    'module example.com/m',
    '',
    '// Two lines',
    '// of reasons.',
    'retract v1.0.0 // and one more',
    'require example.com/x v1.0.0 // not a rationale',
    '// the block says',
    'retract (',
    '  v1.1.0',
    '  v1.2.0 // its own',
    ')',
  ].join('\n');
  assert.deepEqual(retractions(goMod), [
    { low: 'v1.0.0', high: 'v1.0.0', rationale: 'Two lines\nof reasons.\nand one more' },
    { low: 'v1.1.0', high: 'v1.1.0', rationale: 'the block says' },
    { low: 'v1.2.0', high: 'v1.2.0', rationale: 'its own' },
  ]);
});

test('laxGoMod reads a multi-MiB go.mod in slices, with the event loop free between them, as readLax reads it at once', async () => {
  const requires = Array.from({ length: 60_000 }, (_, i) => `\texample.com/dependency/number${i} v1.2.${i}\n`);
  const goMod = `module example.com/m\n\ngo 1.21\n\nrequire (\n${requires.join('')})\n\nretract v0.9.0 // old\n`;
  let turns = 0;
  const ticking = setInterval(() => turns++, 0);
  const bytes = new TextEncoder().encode(goMod);
  try {
    const lax = await laxGoMod(bytes);
    assert.deepEqual(lax, readLax(goMod));
    assert.deepEqual(lax, { goVersion: '1.21', retractions: [{ low: 'v0.9.0', high: 'v0.9.0', rationale: 'old' }] });
    assert.ok(turns > 0, 'timers ran while the go.mod was read');
    assert.equal(laxGoMod(bytes), laxGoMod(bytes), 'read once per blob');
  } finally {
    clearInterval(ticking);
  }
});

test('malformed retract lines add nothing; trailing tokens are ignored (lax mode)', () => {
  const goMod = ['retract [v1.0.0 v1.1.0]', 'retract [v1.0.0,', 'retract (v1.0.0)', 'retract', 'retract v2.0.0 extra']
    .join('\n');
  assert.deepEqual(retractions(goMod), [{ low: 'v2.0.0', high: 'v2.0.0' }]);
});

test('a quoted string left open fails the whole go.mod: nothing is retracted', () => {
  assert.deepEqual(retractions('retract v1.0.0\nretract "v1.1.0\n'), []);
});

test('a go.mod without retract directives retracts nothing', () => {
  assert.deepEqual(retractions('module example.com/retracted\n\ngo 1.19\n'), []);
});

test('isRetracted compares with Go semver precedence, ends included', () => {
  const intervals = [
    { low: 'v1.1.0', high: 'v1.1.5' },
    { low: 'v1.3.0', high: 'v1.3.0' },
  ];
  for (const v of ['v1.1.0', 'v1.1.3', 'v1.1.5', 'v1.3.0', 'v1.3.0+incompatible']) {
    assert.equal(isRetracted(v, intervals), true, v);
  }
  for (const v of ['v1.0.9', 'v1.1.6', 'v1.1.0-rc.1', 'v1.3.1', 'v1.2.4-0.20230501000000-e2ea701b7a16']) {
    assert.equal(isRetracted(v, intervals), false, v);
  }
  assert.equal(
    isRetracted('v1.3.0', [{ low: 'garbage', high: 'garbage' }]),
    false,
    'an unparsable bound matches nothing',
  );
});
