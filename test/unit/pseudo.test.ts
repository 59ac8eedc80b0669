/**
 * Pseudo-versions (lib/modules/pseudo.ts) against x/mod's `pseudo_test.go` tables: making,
 * recognising and checking them, their base version and the zero pseudo-version.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  checkPseudoVersion,
  isPseudoVersion,
  isZeroPseudoVersion,
  makePseudoVersion,
  pseudoVersionBase,
  pseudoVersionRev,
  pseudoVersionTime,
} from '../../lib/modules/pseudo.ts';

/** x/mod `module/pseudo_test.go`'s time: 2006-01-02 15:04:05 UTC. */
const PSEUDO_TIME = new Date('2006-01-02T15:04:05Z');

/** x/mod `pseudoTests`: major asked for, the older tagged version, the pseudo-version for revision "hash". */
const X_MOD_PSEUDO: readonly (readonly [string, string, string])[] = [
  ['', '', 'v0.0.0-20060102150405-hash'],
  ['v0', '', 'v0.0.0-20060102150405-hash'],
  ['v1', '', 'v1.0.0-20060102150405-hash'],
  ['v2', '', 'v2.0.0-20060102150405-hash'],
  ['unused', 'v0.0.0', 'v0.0.1-0.20060102150405-hash'],
  ['unused', 'v1.2.3', 'v1.2.4-0.20060102150405-hash'],
  ['unused', 'v1.2.99999999999999999', 'v1.2.100000000000000000-0.20060102150405-hash'],
  ['unused', 'v1.2.3-pre', 'v1.2.3-pre.0.20060102150405-hash'],
  ['unused', 'v1.3.0-pre', 'v1.3.0-pre.0.20060102150405-hash'],
  ['unused', 'v0.0.0--', 'v0.0.0--.0.20060102150405-hash'],
  ['unused', 'v1.0.0+metadata', 'v1.0.1-0.20060102150405-hash+metadata'],
  ['unused', 'v2.0.0+incompatible', 'v2.0.1-0.20060102150405-hash+incompatible'],
  ['unused', 'v2.3.0-pre+incompatible', 'v2.3.0-pre.0.20060102150405-hash+incompatible'],
];

describe('x/mod pseudoTests', () => {
  for (const [majorVersion, older, version] of X_MOD_PSEUDO) {
    it(`${JSON.stringify(older)} → ${version}`, () => {
      assert.equal(makePseudoVersion(majorVersion, older, PSEUDO_TIME, 'hash'), version);
      assert.equal(isPseudoVersion(version), true);
      assert.equal(isPseudoVersion(older), false);
      assert.equal(pseudoVersionTime(version), '20060102150405');
      assert.equal(pseudoVersionTime(older), '');
      assert.equal(pseudoVersionRev(version), 'hash');
      assert.equal(pseudoVersionRev(older), '');
      assert.equal(checkPseudoVersion(version), undefined);
    });
  }
  it('reads the base each pseudo-version was built on (the form-1 ones have none)', () => {
    for (const [, older, version] of X_MOD_PSEUDO) assert.equal(pseudoVersionBase(version), older, version);
  });
});

describe('makePseudoVersion', () => {
  it('formats the time in UTC, whatever the Date was built from', () => {
    const time = new Date('2024-03-01T01:02:03+05:00');
    assert.equal(makePseudoVersion('', '', time, 'abcdefabcdef'), 'v0.0.0-20240229200203-abcdefabcdef');
  });
  it('pads years before 1000 to four digits, as Go does', () => {
    assert.equal(
      makePseudoVersion('', '', new Date('0001-01-01T00:00:00Z'), '000000000000'),
      'v0.0.0-00010101000000-000000000000',
    );
  });
  it('increments the patch number in decimal, carrying through nines', () => {
    assert.equal(makePseudoVersion('', 'v1.2.9', PSEUDO_TIME, 'h'), 'v1.2.10-0.20060102150405-h');
    assert.equal(makePseudoVersion('', 'v1.2.199', PSEUDO_TIME, 'h'), 'v1.2.200-0.20060102150405-h');
    assert.equal(makePseudoVersion('', 'v1.2.109', PSEUDO_TIME, 'h'), 'v1.2.110-0.20060102150405-h');
  });
  it('expands a shorthand base and ignores an invalid one', () => {
    assert.equal(makePseudoVersion('', 'v1.2', PSEUDO_TIME, 'h'), 'v1.2.1-0.20060102150405-h');
    assert.equal(makePseudoVersion('v3', 'not-a-version', PSEUDO_TIME, 'h'), 'v3.0.0-20060102150405-h');
  });
  it('refuses an invalid Date', () => {
    assert.throws(() => makePseudoVersion('', '', new Date(Number.NaN), 'h'), RangeError);
  });
});

describe('isPseudoVersion', () => {
  const cases: readonly (readonly [string, boolean])[] = [
    ['v0.0.0-20191109021931-daa7c04131f5', true],
    ['v1.2.3-pre.0.20191109021931-daa7c04131f5', true],
    ['v1.2.3-beta.0.0.20191109021931-daa7c04131f5', true],
    ['v1.2.3-20191109021931-daa7c04131f5', false],
    ['v1.2.4-1.20191109021931-daa7c04131f5', false],
    ['v0.0.0-2019110902193-daa7c04131f5', false],
    ['v0.0.0-201911090219311-daa7c04131f5', false],
    ['v0.0.0-20191109021931-', false],
    ['v0.0.0-20191109021931-daa7_04131f5', false],
    ['v0.0.0-20191109021931-daa7c04131f5+', false],
    ['v1.2.3', false],
    ['v1.2.3-rc1', false],
    ['0.0.0-20191109021931-daa7c04131f5', false],
    ['', false],
  ];
  for (const [v, expected] of cases) {
    it(`${JSON.stringify(v)}: ${expected}`, () => assert.equal(isPseudoVersion(v), expected));
  }
});

describe('checkPseudoVersion', () => {
  const cases: readonly (readonly [string, string])[] = [
    ['v1.2.3', 'syntax error'],
    ['---', 'syntax error'],
    ['v0.0.0-', 'syntax error'],
    ['v0.0.0-0.20060102150405-hash', 'version before v0.0.0 would have negative patch number'],
    ['v0.1.0-0.20060102150405-hash', 'version before v0.1.0 would have negative patch number'],
    ['v1.0.0-0.20060102150405-hash', 'version before v1.0.0 would have negative patch number'],
    ['v0.0.0-20060102150405-hash+incompatible', 'lacks base version, but has build metadata "+incompatible"'],
    ['v0.0.0-20060102150405-hash+metadata', 'lacks base version, but has build metadata "+metadata"'],
    ['v0.0.0-20061301150405-hash', 'malformed time "20061301150405"'],
    ['v0.0.0-20060100150405-hash', 'malformed time "20060100150405"'],
    ['v0.0.0-20060230150405-hash', 'malformed time "20060230150405"'],
    ['v0.0.0-21000229150405-hash', 'malformed time "21000229150405"'],
    ['v0.0.0-20060431150405-hash', 'malformed time "20060431150405"'],
    ['v0.0.0-20060102240405-hash', 'malformed time "20060102240405"'],
    ['v0.0.0-20060102156005-hash', 'malformed time "20060102156005"'],
    ['v0.0.0-20060102150460-hash', 'malformed time "20060102150460"'],
  ];
  for (const [v, reason] of cases) {
    it(`${v}: ${reason}`, () => {
      assert.equal(checkPseudoVersion(v), reason);
      if (!reason.startsWith('malformed time')) assert.equal(pseudoVersionBase(v), undefined);
    });
  }
  it('accepts leap days of leap years and the last second of a day', () => {
    assert.equal(checkPseudoVersion('v0.0.0-20000229235959-hash'), undefined);
    assert.equal(checkPseudoVersion('v0.0.0-20240229000000-hash'), undefined);
    assert.equal(checkPseudoVersion('v0.0.0-00010101000000-000000000000'), undefined);
  });
});

describe('pseudoVersionBase', () => {
  const cases: readonly (readonly [string, string | undefined])[] = [
    ['v1.2.10-0.20060102150405-hash', 'v1.2.9'],
    ['v1.2.100-0.20060102150405-hash', 'v1.2.99'],
    ['v1.2.110-0.20060102150405-hash', 'v1.2.109'],
    ['v1.2.1-0.20060102150405-hash', 'v1.2.0'],
    ['v1.2.3-beta.0.0.20060102150405-hash', 'v1.2.3-beta.0'],
    ['v2.0.0-20060102150405-hash', ''],
    ['not-a-pseudo-version', undefined],
  ];
  for (const [v, base] of cases) {
    it(`${v} → ${JSON.stringify(base)}`, () => assert.equal(pseudoVersionBase(v), base));
  }
});

describe('isZeroPseudoVersion', () => {
  it('recognises the placeholder of every major', () => {
    assert.equal(isZeroPseudoVersion('v0.0.0-00010101000000-000000000000'), true);
    assert.equal(isZeroPseudoVersion('v2.0.0-00010101000000-000000000000'), true);
  });
  it('refuses anything else', () => {
    assert.equal(isZeroPseudoVersion('v0.0.0-00010101000000-000000000001'), false);
    assert.equal(isZeroPseudoVersion('v0.0.1-0.00010101000000-000000000000'), false);
    assert.equal(isZeroPseudoVersion('v1.0.0'), false);
    assert.equal(isZeroPseudoVersion(''), false);
  });
});
