/**
 * The `retract` directives of a go.mod, read as the go command reads a dependency's go.mod
 * (golang.org/x/mod `modfile.ParseLax`): single versions and `[low, high]` intervals, one per line
 * or in a `retract ( … )` block, versions bare or quoted, kept as written (`dontFixRetract`), and a
 * line that does not parse is skipped (lax mode reports no errors for retract lines).
 *
 * Direct mode uses them for one thing the proxy must copy: a retracted tag is never the base of a
 * pseudo-version nor the version a commit resolves to (coderepo.go `convert`, `retractedVersions`).
 */
import { goModLines, readOncePerBlob, unquote } from './gomod.ts';
import * as semver from './semver.ts';

/** A closed interval of versions, `low` and `high` as written in go.mod. */
export interface VersionInterval {
  readonly low: string;
  readonly high: string;
}

const retractionLists = new WeakMap<Uint8Array, readonly VersionInterval[]>();

/** `retractions` of a go.mod's bytes, read once per blob. */
export function declaredRetractions(goMod: Uint8Array): readonly VersionInterval[] {
  return readOncePerBlob(retractionLists, goMod, retractions);
}

/**
 * The intervals of every `retract` directive in `goMod`; none when a quoted string is not closed
 * on its line, which fails the whole parse (and direct mode then retracts nothing). Other syntax
 * errors outside retract lines are not looked for.
 */
export function retractions(goMod: string): VersionInterval[] {
  const intervals: VersionInterval[] = [];
  let inBlock = false;
  for (const tokens of goModLines(goMod) ?? []) {
    if (inBlock) {
      if (tokens.length === 1 && tokens[0] === ')') inBlock = false;
      else addInterval(intervals, tokens);
    } else if (tokens[0] === 'retract') {
      if (tokens.length === 2 && tokens[1] === '(') inBlock = true;
      else addInterval(intervals, tokens.slice(1));
    }
  }
  return intervals;
}

/** Whether `version` falls in one of `intervals` (`semver.Compare(low, v) <= 0 && semver.Compare(v, high) <= 0`). */
export function isRetracted(version: string, intervals: readonly VersionInterval[]): boolean {
  return intervals.some(({ low, high }) => semver.compare(low, version) <= 0 && semver.compare(version, high) <= 0);
}

/**
 * `parseVersionInterval` with `dontFixRetract`: `v` or `[low, high]`, versions kept as written;
 * trailing tokens are ignored and a malformed interval adds nothing (lax mode).
 */
function addInterval(intervals: VersionInterval[], tokens: readonly string[]): void {
  const [first, low, comma, high, close] = tokens;
  if (first === undefined || first === '(') return;
  const interval = first === '[' ? (comma === ',' && close === ']' ? [low, high] : []) : [first, first];
  const [lowWord, highWord] = interval.map((token) => (token === undefined ? undefined : unquote(token)));
  if (lowWord !== undefined && highWord !== undefined) intervals.push({ low: lowWord, high: highWord });
}
