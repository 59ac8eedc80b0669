/**
 * Semantic versions as the go command reads them (golang.org/x/mod `semver/semver.go`), which is not
 * npm's semver: the leading `v` is required, `v1` and `v1.2` are valid shorthands for `v1.0.0` and
 * `v1.2.0` (but only without pre-release or build suffixes), numbers may be of any length, and an
 * invalid version sorts before every valid one.
 *
 * Pre-release and build strings keep their leading `-` / `+`, as Go's `Prerelease` and `Build` do.
 */

/** The parts of a valid version, as strings (numbers can be longer than any JavaScript number). */
export interface SemVer {
  major: string;
  minor: string;
  patch: string;
  /** `-pre.1`, or '' for a release. */
  prerelease: string;
  /** `+meta`, or '' when there is none. */
  build: string;
  /** What a shorthand lacks: `.0.0` for `v1`, `.0` for `v1.2`, else ''. */
  short: string;
}

/** The build suffix that `module.CanonicalVersion` keeps. */
const INCOMPATIBLE = '+incompatible';

/** A decimal number without leading zeros. */
const NUMBER = '(0|[1-9][0-9]*)';
/** A pre-release identifier: numeric without leading zeros, or alphanumeric with at least one non-digit. */
const PRERELEASE_ID = '(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)';
/** A build identifier: any non-empty run of `[0-9A-Za-z-]`. */
const BUILD_ID = '[0-9A-Za-z-]+';

/** `semver.parse`: `vMAJOR[.MINOR[.PATCH[-PRERELEASE][+BUILD]]]`. */
const VERSION = new RegExp(
  `^v${NUMBER}(?:\\.${NUMBER}(?:\\.${NUMBER}` +
    `(-${PRERELEASE_ID}(?:\\.${PRERELEASE_ID})*)?` +
    `(\\+${BUILD_ID}(?:\\.${BUILD_ID})*)?)?)?$`,
);

/** `semver.parse`: the parts of `v`, or undefined when it is not a valid Go semantic version. */
export function parse(v: string): SemVer | undefined {
  const match = VERSION.exec(v);
  if (match === null) return undefined;
  const [, major, minor, patch, prerelease = '', build = ''] = match;
  if (minor === undefined) return { major, minor: '0', patch: '0', prerelease, build, short: '.0.0' };
  if (patch === undefined) return { major, minor, patch: '0', prerelease, build, short: '.0' };
  return { major, minor, patch, prerelease, build, short: '' };
}

/** `semver.IsValid`. */
export function isValid(v: string): boolean {
  return parse(v) !== undefined;
}

/**
 * `semver.Canonical`: `vMAJOR.MINOR.PATCH[-PRERELEASE]`, with shorthands expanded and any build
 * suffix dropped (`+incompatible` too: see {@link canonicalKeepingIncompatible}); '' if invalid.
 */
export function canonical(v: string): string {
  const p = parse(v);
  if (p === undefined) return '';
  if (p.build !== '') return v.slice(0, v.length - p.build.length);
  return v + p.short;
}

/** `module.CanonicalVersion`: like {@link canonical} but keeps a `+incompatible` suffix. */
export function canonicalKeepingIncompatible(v: string): string {
  const c = canonical(v);
  return build(v) === INCOMPATIBLE ? c + INCOMPATIBLE : c;
}

/**
 * Is `v` a canonical module version (`module.CanonicalVersion(v) == v`): `v1.2.3`, `v1.2.3-pre`,
 * `v2.0.0+incompatible`, but not `v1.2`, `v1.2.3+meta` or anything invalid.
 */
export function isCanonical(v: string): boolean {
  return v !== '' && canonicalKeepingIncompatible(v) === v;
}

/** `semver.Major`: `v2` for `v2.1.0`; '' if invalid. */
export function major(v: string): string {
  const p = parse(v);
  return p === undefined ? '' : `v${p.major}`;
}

/** `semver.MajorMinor`: `v2.1` for `v2.1.0` and `v2.1`, `v2.0` for `v2`; '' if invalid. */
export function majorMinor(v: string): string {
  const p = parse(v);
  return p === undefined ? '' : `v${p.major}.${p.minor}`;
}

/** `semver.Prerelease`: `-pre` for `v1.0.0-pre+meta`; '' for a release or an invalid version. */
export function prerelease(v: string): string {
  return parse(v)?.prerelease ?? '';
}

/** `semver.Build`: `+meta` for `v1.0.0-pre+meta`; '' when there is none or `v` is invalid. */
export function build(v: string): string {
  return parse(v)?.build ?? '';
}

/**
 * `semver.Compare`: -1, 0 or +1 by semver precedence; build suffixes are ignored. An invalid version
 * is less than every valid one, and two invalid versions are equal.
 */
export function compare(v: string, w: string): number {
  const pv = parse(v);
  const pw = parse(w);
  if (pv === undefined || pw === undefined) return (pv === undefined ? 0 : 1) - (pw === undefined ? 0 : 1);
  return (
    compareNumbers(pv.major, pw.major) ||
    compareNumbers(pv.minor, pw.minor) ||
    compareNumbers(pv.patch, pw.patch) ||
    comparePrereleases(pv.prerelease, pw.prerelease)
  );
}

/** `semver.Max`: the larger of the canonical forms of `v` and `w` ('' when both are invalid). */
export function max(v: string, w: string): string {
  const cv = canonical(v);
  const cw = canonical(w);
  return compare(cv, cw) > 0 ? cv : cw;
}

/**
 * `semver.Sort`: a sorted copy of `list`, by {@link compare}, ties (equal precedence, e.g. differing
 * build suffixes, or invalid versions) broken by plain string order.
 */
export function sortVersions(list: readonly string[]): string[] {
  return [...list].sort((v, w) => compare(v, w) || compareStrings(v, w));
}

/** `compareInt`: decimal strings without leading zeros, compared by length first. */
function compareNumbers(x: string, y: string): number {
  return x.length - y.length === 0 ? compareStrings(x, y) : Math.sign(x.length - y.length);
}

/**
 * `comparePrerelease` (semver 2.0 §11): a release ('') is higher than any pre-release; identifiers
 * compare left to right, numeric ones numerically and below alphanumeric ones; more identifiers win
 * when all shared ones are equal.
 */
function comparePrereleases(x: string, y: string): number {
  if (x === y) return 0;
  if (x === '') return 1;
  if (y === '') return -1;
  const xs = x.slice(1).split('.');
  const ys = y.slice(1).split('.');
  for (let i = 0; i < xs.length && i < ys.length; i++) {
    const c = comparePrereleaseIdentifiers(xs[i], ys[i]);
    if (c !== 0) return c;
  }
  return Math.sign(xs.length - ys.length);
}

function comparePrereleaseIdentifiers(x: string, y: string): number {
  const xIsNumber = /^[0-9]+$/.test(x);
  const yIsNumber = /^[0-9]+$/.test(y);
  if (xIsNumber && yIsNumber) return compareNumbers(x, y);
  if (xIsNumber !== yIsNumber) return xIsNumber ? -1 : 1;
  return compareStrings(x, y);
}

/**
 * Plain string order, as Go's `<` on strings. JavaScript compares UTF-16 code units, Go compares UTF-8
 * bytes; the two agree on ASCII, which is all a valid version holds.
 */
function compareStrings(x: string, y: string): number {
  if (x === y) return 0;
  return x < y ? -1 : 1;
}
