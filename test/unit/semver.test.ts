/**
 * Go's semantic versions (lib/modules/semver.ts) against x/mod's `semver_test.go` tables: parsing,
 * canonical forms, parts, comparison, `+incompatible`, max and sorting.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  build,
  canonical,
  canonicalKeepingIncompatible,
  compare,
  isCanonical,
  isValid,
  major,
  majorMinor,
  max,
  parse,
  prerelease,
  sortVersions,
} from '../../lib/modules/semver.ts';

/**
 * x/mod `semver/semver_test.go`'s table: version → `Canonical` ('' = invalid), listed in increasing
 * precedence; entries with the same canonical form are equal.
 */
const X_MOD_TABLE: readonly (readonly [string, string])[] = [
  ['bad', ''],
  ['v1-alpha.beta.gamma', ''],
  ['v1-pre', ''],
  ['v1+meta', ''],
  ['v1-pre+meta', ''],
  ['v1.2-pre', ''],
  ['v1.2+meta', ''],
  ['v1.2-pre+meta', ''],
  ['v1.0.0-alpha', 'v1.0.0-alpha'],
  ['v1.0.0-alpha.1', 'v1.0.0-alpha.1'],
  ['v1.0.0-alpha.beta', 'v1.0.0-alpha.beta'],
  ['v1.0.0-beta', 'v1.0.0-beta'],
  ['v1.0.0-beta.2', 'v1.0.0-beta.2'],
  ['v1.0.0-beta.11', 'v1.0.0-beta.11'],
  ['v1.0.0-rc.1', 'v1.0.0-rc.1'],
  ['v1', 'v1.0.0'],
  ['v1.0', 'v1.0.0'],
  ['v1.0.0', 'v1.0.0'],
  ['v1.2', 'v1.2.0'],
  ['v1.2.0', 'v1.2.0'],
  ['v1.2.3-456', 'v1.2.3-456'],
  ['v1.2.3-456.789', 'v1.2.3-456.789'],
  ['v1.2.3-456-789', 'v1.2.3-456-789'],
  ['v1.2.3-456a', 'v1.2.3-456a'],
  ['v1.2.3-pre', 'v1.2.3-pre'],
  ['v1.2.3-pre+meta', 'v1.2.3-pre'],
  ['v1.2.3-pre.1', 'v1.2.3-pre.1'],
  ['v1.2.3-zzz', 'v1.2.3-zzz'],
  ['v1.2.3', 'v1.2.3'],
  ['v1.2.3+meta', 'v1.2.3'],
  ['v1.2.3+meta-pre', 'v1.2.3'],
  ['v1.2.3+meta-pre.sha.256a', 'v1.2.3'],
];

/** More strings Go refuses (leading zeros, missing `v`, empty identifiers, bad characters). */
const MORE_INVALID = [
  '',
  'v',
  '1.2.3',
  'V1.2.3',
  'v01.2.3',
  'v1.02.3',
  'v1.2.03',
  'v1.2.3-01',
  'v1.2.3-pre.01',
  'v1.2.3-',
  'v1.2.3-pre.',
  'v1.2.3-pre..1',
  'v1.2.3+',
  'v1.2.3+meta.',
  'v1.2.3+me_ta',
  'v1.2.3-pré',
  'v1.2.3.4',
  'v1..2',
  'v1.2.3 ',
  ' v1.2.3',
  'v1.2.3\n',
  'v-1.2.3',
  'v1.2.3-+meta',
];

describe('parse / isValid / canonical (x/mod table)', () => {
  for (const [input, expected] of X_MOD_TABLE) {
    it(`${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () => {
      assert.equal(isValid(input), expected !== '');
      assert.equal(canonical(input), expected);
      assert.equal(parse(input) === undefined, expected === '');
    });
  }
  for (const input of MORE_INVALID) {
    it(`refuses ${JSON.stringify(input)}`, () => {
      assert.equal(parse(input), undefined);
      assert.equal(canonical(input), '');
      assert.equal(major(input), '');
    });
  }
  it('accepts what Go accepts beyond the table', () => {
    for (
      const v of [
        'v0.0.0',
        'v1.2.3-0',
        'v1.2.3-0a',
        'v1.2.3-a-b--c',
        'v1.2.3+001',
        'v1.2.3+-',
        'v99999999999999999999.0.0',
      ]
    ) {
      assert.equal(isValid(v), true, v);
    }
  });
});

describe('parse', () => {
  it('splits a full version, keeping the - and + of the suffixes', () => {
    assert.deepEqual(parse('v1.2.3-pre.1+meta'), {
      major: '1',
      minor: '2',
      patch: '3',
      prerelease: '-pre.1',
      build: '+meta',
      short: '',
    });
  });
  it('fills in shorthands and says what was missing', () => {
    assert.deepEqual(parse('v1'), { major: '1', minor: '0', patch: '0', prerelease: '', build: '', short: '.0.0' });
    assert.deepEqual(parse('v1.2'), { major: '1', minor: '2', patch: '0', prerelease: '', build: '', short: '.0' });
  });
});

describe('major, majorMinor, prerelease, build (x/mod table)', () => {
  for (const [input, expected] of X_MOD_TABLE) {
    it(JSON.stringify(input), () => {
      assert.equal(major(input), expected === '' ? '' : expected.slice(0, expected.indexOf('.')));
      assert.equal(majorMinor(input), expected === '' ? '' : expected.split('-')[0].split('.').slice(0, 2).join('.'));
      const dash = expected.indexOf('-');
      assert.equal(prerelease(input), expected === '' || dash < 0 ? '' : expected.slice(dash));
      const plus = input.indexOf('+');
      assert.equal(build(input), expected === '' || plus < 0 ? '' : input.slice(plus));
    });
  }
  it('majorMinor of shorthands', () => {
    assert.equal(majorMinor('v2'), 'v2.0');
    assert.equal(majorMinor('v2.5'), 'v2.5');
  });
});

describe('compare', () => {
  it('orders the x/mod table as listed, equal canonical forms equal, invalids first and equal', () => {
    X_MOD_TABLE.forEach(([vi, ci], i) => {
      X_MOD_TABLE.forEach(([vj, cj], j) => {
        const want = ci === cj ? 0 : i < j ? -1 : 1;
        assert.equal(compare(vi, vj), want, `compare(${vi}, ${vj})`);
      });
    });
  });
  it('compares numbers numerically, of any length', () => {
    assert.equal(compare('v1', 'v1'), 0);
    assert.equal(compare('v2', 'v1'), 1);
    assert.equal(compare('v1', 'v2'), -1);
    assert.equal(compare('v1.19', 'v1.2'), 1);
    assert.equal(compare('v1.2.10', 'v1.2.9'), 1);
    assert.equal(compare('v100000000000000000000.0.0', 'v99999999999999999999.0.0'), 1);
    assert.equal(compare('v1.0.0-10', 'v1.0.0-9'), 1);
  });
  it('ranks numeric pre-release identifiers below alphanumeric ones and longer lists higher', () => {
    assert.equal(compare('v1.0.0-1', 'v1.0.0-a'), -1);
    assert.equal(compare('v1.0.0-a', 'v1.0.0-1'), 1);
    assert.equal(compare('v1.0.0-a.b', 'v1.0.0-a'), 1);
    assert.equal(compare('v1.0.0-a', 'v1.0.0-a.0'), -1);
    assert.equal(compare('v1.0.0-B', 'v1.0.0-a'), -1);
  });
  it('ignores build metadata, +incompatible included', () => {
    assert.equal(compare('v2.0.0+incompatible', 'v2.0.0'), 0);
    assert.equal(compare('v1.0.0+a', 'v1.0.0+b'), 0);
  });
});

describe('canonicalKeepingIncompatible / isCanonical', () => {
  const cases: readonly (readonly [string, string, boolean])[] = [
    ['v2.0.0+incompatible', 'v2.0.0+incompatible', true],
    ['v2+incompatible', '', false],
    ['v2.0+incompatible', '', false],
    ['v2.0.0-pre+incompatible', 'v2.0.0-pre+incompatible', true],
    ['v1.2.3+meta', 'v1.2.3', false],
    ['v1.2.3+incompatible.x', 'v1.2.3', false],
    ['v1.2', 'v1.2.0', false],
    ['v1.2.3', 'v1.2.3', true],
    ['v1.2.3-pre', 'v1.2.3-pre', true],
    ['', '', false],
    ['main', '', false],
  ];
  for (const [input, expected, isCanon] of cases) {
    it(JSON.stringify(input), () => {
      assert.equal(canonicalKeepingIncompatible(input), expected);
      assert.equal(isCanonical(input), isCanon);
    });
  }
  it('canonical drops +incompatible like semver.Canonical', () => {
    assert.equal(canonical('v2.0.0+incompatible'), 'v2.0.0');
  });
});

describe('max', () => {
  it('returns the larger canonical form, as the x/mod table orders them', () => {
    X_MOD_TABLE.forEach(([vi], i) => {
      X_MOD_TABLE.forEach(([vj], j) => {
        assert.equal(max(vi, vj), i < j ? canonical(vj) : canonical(vi), `max(${vi}, ${vj})`);
      });
    });
  });
});

describe('sortVersions', () => {
  it('sorts by precedence, breaking ties by string order, invalid versions first', () => {
    const shuffled = ['v1.0.0+b', 'v1.10.0', 'main', 'v1.0.0', 'v1.2.0-rc.1', 'v1.0.0+a', 'bad', 'v1.2.0', 'v1'];
    assert.deepEqual(sortVersions(shuffled), [
      'bad',
      'main',
      'v1',
      'v1.0.0',
      'v1.0.0+a',
      'v1.0.0+b',
      'v1.2.0-rc.1',
      'v1.2.0',
      'v1.10.0',
    ]);
  });
  it('sorts the whole x/mod table from reverse order into its own order (ties by string)', () => {
    const sorted = sortVersions(X_MOD_TABLE.map(([v]) => v).reverse());
    for (let i = 1; i < sorted.length; i++) {
      const c = compare(sorted[i - 1], sorted[i]);
      assert.ok(c < 0 || (c === 0 && sorted[i - 1] < sorted[i]), `${sorted[i - 1]} before ${sorted[i]}`);
    }
  });
  it('does not modify its input', () => {
    const input = ['v2.0.0', 'v1.0.0'];
    sortVersions(input);
    assert.deepEqual(input, ['v2.0.0', 'v1.0.0']);
  });
});
