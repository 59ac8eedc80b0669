/**
 * Pseudo-versions (golang.org/x/mod `module/pseudo.go`): versions that name an untagged commit as
 * `<base>-<yyyymmddhhmmss>-<revision>`, the time being the commit time in UTC and the revision a
 * 12-hex-digit commit hash prefix. Three forms:
 *
 * 1. `vX.0.0-yyyymmddhhmmss-abcdefabcdef`: no earlier tagged version (X is the path's major);
 * 2. `vX.Y.(Z+1)-0.yyyymmddhhmmss-abcdefabcdef`: the latest earlier tag is the release vX.Y.Z;
 * 3. `vX.Y.Z-pre.0.yyyymmddhhmmss-abcdefabcdef`: the latest earlier tag is the pre-release vX.Y.Z-pre;
 *
 * each with the base's `+incompatible` carried over where it had one.
 */

import { build, canonical, isValid, major, prerelease } from './semver.ts';
import { goQuote } from './go-quote.ts';

/** `pseudoVersionRE`: the shape of the three forms (the version must also be valid semver). */
const PSEUDO_VERSION =
  /^v[0-9]+\.(0\.0-|\d+\.\d+-([^+]*\.)?0\.)\d{14}-[A-Za-z0-9]+(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;

/** The revision of a zero pseudo-version (`ZeroPseudoVersion`). */
const ZERO_REVISION = '000000000000';

/** Go's zero `time.Time`: January 1, year 1, 00:00:00 UTC. */
const ZERO_TIME = new Date('0001-01-01T00:00:00Z');

/** The parts of a pseudo-version, as Go's `parsePseudoVersion` splits them. */
interface PseudoVersionParts {
  /** `vX.0.0` (form 1), `vX.Y.(Z+1)-0` (form 2) or `vX.Y.Z-pre.0` (form 3). */
  base: string;
  /** `yyyymmddhhmmss`. */
  timestamp: string;
  rev: string;
  /** `+incompatible` or other build metadata, or ''. */
  build: string;
}

/** `module.IsPseudoVersion`: is `v` shaped like a pseudo-version? */
export function isPseudoVersion(v: string): boolean {
  return countDashes(v) >= 2 && isValid(v) && PSEUDO_VERSION.test(v);
}

/**
 * Why `v` is not a well-formed pseudo-version, or undefined when it is: its shape
 * (`parsePseudoVersion`), its time stamp (`PseudoVersionTime`) and its base (`PseudoVersionBase`).
 */
export function checkPseudoVersion(v: string): string | undefined {
  const parts = parsePseudoVersion(v);
  if (parts === undefined) return 'syntax error';
  if (!isValidTimestamp(parts.timestamp)) return `malformed time ${goQuote(parts.timestamp)}`;
  return baseOf(parts).problem;
}

/** `module.PseudoVersionTime`, as the 14-digit `yyyymmddhhmmss` string; '' if `v` is not a pseudo-version. */
export function pseudoVersionTime(v: string): string {
  return parsePseudoVersion(v)?.timestamp ?? '';
}

/** `module.PseudoVersionRev`: the revision part; '' if `v` is not a pseudo-version. */
export function pseudoVersionRev(v: string): string {
  return parsePseudoVersion(v)?.rev ?? '';
}

/**
 * `module.PseudoVersionBase`: the tagged version a pseudo-version builds on (with its `+incompatible`
 * if any): `v1.2.3` for `v1.2.4-0.…`, `v1.2.3-pre` for `v1.2.3-pre.0.…`, '' for form 1.
 * Undefined when {@link checkPseudoVersion} would refuse the base (or the syntax).
 */
export function pseudoVersionBase(v: string): string | undefined {
  const parts = parsePseudoVersion(v);
  if (parts === undefined) return undefined;
  const { base, problem } = baseOf(parts);
  return problem === undefined ? base : undefined;
}

/**
 * `module.PseudoVersion`: the pseudo-version for revision `rev` committed at `time`, given the major
 * version of the module path (`v2`; '' means `v0`) and the latest earlier tagged version `older`
 * ('' if none). A `+incompatible` (any build suffix) on `older` is carried over.
 */
export function makePseudoVersion(majorVersion: string, older: string, time: Date, rev: string): string {
  const segment = `${pseudoTimestamp(time)}-${rev}`;
  const olderBuild = build(older);
  const base = canonical(older);
  if (base === '') return `${majorVersion || 'v0'}.0.0-${segment}`;
  if (prerelease(base) !== '') return `${base}.0.${segment}${olderBuild}`;
  const patchStart = base.lastIndexOf('.') + 1;
  return `${base.slice(0, patchStart)}${incrementDecimal(base.slice(patchStart))}-0.${segment}${olderBuild}`;
}

/** `module.IsZeroPseudoVersion`: is `v` the placeholder `vX.0.0-00010101000000-000000000000`? */
export function isZeroPseudoVersion(v: string): boolean {
  return v === makePseudoVersion(major(v), '', ZERO_TIME, ZERO_REVISION);
}

/** `parsePseudoVersion`: split a pseudo-version into its parts; undefined if `v` is not one. */
function parsePseudoVersion(v: string): PseudoVersionParts | undefined {
  if (!isPseudoVersion(v)) return undefined;
  const buildSuffix = build(v);
  const withoutBuild = v.slice(0, v.length - buildSuffix.length);
  const revDash = withoutBuild.lastIndexOf('-');
  const rev = withoutBuild.slice(revDash + 1);
  const rest = withoutBuild.slice(0, revDash);
  const lastDash = rest.lastIndexOf('-');
  const lastDot = rest.lastIndexOf('.');
  const split = lastDot > lastDash ? lastDot : lastDash;
  return { base: rest.slice(0, split), timestamp: rest.slice(split + 1), rev, build: buildSuffix };
}

/** The base-version part of `PseudoVersionBase`, with Go's two refusals as `problem`. */
function baseOf(parts: PseudoVersionParts): { base: string; problem?: string } {
  const pre = prerelease(parts.base);
  if (pre === '') {
    // Form 1 with a build suffix: no parent tag, yet "+incompatible" claims one of another major.
    if (parts.build !== '') {
      return { base: '', problem: `lacks base version, but has build metadata ${goQuote(parts.build)}` };
    }
    return { base: '' };
  }
  if (pre === '-0') {
    const release = parts.base.slice(0, -pre.length);
    const patchStart = release.lastIndexOf('.') + 1;
    const patch = decrementDecimal(release.slice(patchStart));
    if (patch === '') return { base: '', problem: `version before ${release} would have negative patch number` };
    return { base: release.slice(0, patchStart) + patch + parts.build };
  }
  return { base: parts.base.slice(0, -'.0'.length) + parts.build };
}

/** A pseudo-version's timestamp: `t.UTC().Format("20060102150405")`. */
export function pseudoTimestamp(time: Date): string {
  if (Number.isNaN(time.getTime())) throw new RangeError('pseudo-version time is an invalid Date');
  const pad = (n: number, width: number) => String(n).padStart(width, '0');
  return (
    pad(time.getUTCFullYear(), 4) +
    pad(time.getUTCMonth() + 1, 2) +
    pad(time.getUTCDate(), 2) +
    pad(time.getUTCHours(), 2) +
    pad(time.getUTCMinutes(), 2) +
    pad(time.getUTCSeconds(), 2)
  );
}

/** Would `time.Parse("20060102150405", timestamp)` accept these 14 digits (a real date and time)? */
function isValidTimestamp(timestamp: string): boolean {
  const field = (start: number, end: number) => Number(timestamp.slice(start, end));
  const [year, month, day] = [field(0, 4), field(4, 6), field(6, 8)];
  const [hour, minute, second] = [field(8, 10), field(10, 12), field(12, 14)];
  return (
    month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month) && hour < 24 && minute < 60 && second < 60
  );
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** `incDecimal`: a decimal string plus one, of any length (`9` → `10`, `199` → `200`). */
function incrementDecimal(decimal: string): string {
  const trailingNines = decimal.length - decimal.replace(/9+$/, '').length;
  const head = decimal.slice(0, decimal.length - trailingNines);
  const zeros = '0'.repeat(trailingNines);
  if (head === '') return `1${zeros}`;
  return head.slice(0, -1) + String(Number(head.at(-1)) + 1) + zeros;
}

/** `decDecimal`: a decimal string minus one (`10` → `9`), or '' when it is all zeros. */
function decrementDecimal(decimal: string): string {
  const trailingZeros = decimal.length - decimal.replace(/0+$/, '').length;
  const head = decimal.slice(0, decimal.length - trailingZeros);
  if (head === '') return '';
  const nines = '9'.repeat(trailingZeros);
  const decremented = head.slice(0, -1) + String(Number(head.at(-1)) - 1);
  return (decremented === '0' && nines !== '' ? '' : decremented) + nines;
}

function countDashes(v: string): number {
  return v.split('-').length - 1;
}
