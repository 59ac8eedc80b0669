/**
 * Retracted versions, as the go command reads a dependency's go.mod (golang.org/x/mod
 * `modfile.ParseLax`, which gomod-lax.ts follows): single versions and `[low, high]` intervals, one
 * per line or in a `retract ( … )` block, versions bare or quoted, kept as written
 * (`dontFixRetract`), and a line that does not parse is skipped (lax mode reports no errors for
 * retract lines).
 *
 * Direct mode uses them for one thing the proxy must copy: a retracted tag is never the base of a
 * pseudo-version nor the version a commit resolves to (coderepo.go `convert`, `retractedVersions`).
 */
import { unquote } from './gomod.ts';
import * as semver from './semver.ts';

/** A closed interval of versions, `low` and `high` as written in go.mod, and why it is retracted. */
export interface VersionInterval {
  readonly low: string;
  readonly high: string;
  /** The directive's comment (`modfile.Retract.Rationale`): the lines before it, then the one after it. */
  readonly rationale?: string;
}

/** Whether `version` falls in one of `intervals` (`semver.Compare(low, v) <= 0 && semver.Compare(v, high) <= 0`). */
export function isRetracted(version: string, intervals: readonly VersionInterval[]): boolean {
  return retractionOf(version, intervals) !== undefined;
}

/** The first interval that retracts `version`, or undefined. */
export function retractionOf(version: string, intervals: readonly VersionInterval[]): VersionInterval | undefined {
  return intervals.find(({ low, high }) => semver.compare(low, version) <= 0 && semver.compare(version, high) <= 0);
}

/**
 * `parseVersionInterval` with `dontFixRetract`: `v` or `[low, high]`, versions kept as written;
 * trailing tokens are ignored and a malformed interval is undefined (lax mode adds nothing).
 */
export function parseInterval(tokens: readonly string[]): { low: string; high: string } | undefined {
  const [first, low, comma, high, close] = tokens;
  if (first === undefined || first === '(') return undefined;
  const interval = first === '[' ? (comma === ',' && close === ']' ? [low, high] : []) : [first, first];
  const [lowWord, highWord] = interval.map((token) => (token === undefined ? undefined : unquote(token)));
  return lowWord !== undefined && highWord !== undefined ? { low: lowWord, high: highWord } : undefined;
}
