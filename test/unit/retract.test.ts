/**
 * go.mod `retract` directives as modfile.ParseLax reads them (lib/modules/retract.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isRetracted, retractions } from '../../lib/modules/retract.ts';

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
    { low: 'v1.0.0', high: 'v1.0.0' },
    { low: 'v1.1.0', high: 'v1.1.5' },
    { low: 'v1.2.0', high: 'v1.2.0' },
    { low: 'v1.3.0-rc.1', high: 'v1.3.0' },
  ]);
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
