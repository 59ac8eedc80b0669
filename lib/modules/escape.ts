/**
 * Case encoding of module paths and versions in GOPROXY URLs (golang.org/x/mod `module/module.go`:
 * `EscapePath`, `UnescapePath`, `EscapeVersion`, `UnescapeVersion`, `escapeString`,
 * `unescapeString`). Every ASCII upper-case letter `X` is written `!x`, so that URLs and cache
 * directories are safe on case-insensitive file systems.
 *
 * Each function returns `undefined` when its input is not acceptable to the go command.
 */

import { checkFileElement, checkModulePath } from './module-path.ts';

/** `module.EscapePath`: the case-encoded form of a valid module path. */
export function escapePath(path: string): string | undefined {
  if (checkModulePath(path) !== undefined) return undefined;
  return escapeString(path);
}

/**
 * `module.EscapeVersion`: the case-encoded form of a version. Versions need not be semantic versions
 * (branch names and hashes are queries too) but must be a valid file-path element without `!`; so
 * `feature/x` and non-ASCII versions cannot be encoded.
 */
export function escapeVersion(v: string): string | undefined {
  if (checkFileElement(v) !== undefined || v.includes('!')) return undefined;
  return escapeString(v);
}

/** `module.UnescapePath`: the module path a case-encoded path stands for, if that is a valid module path. */
export function unescapePath(escaped: string): string | undefined {
  const path = unescapeString(escaped);
  if (path === undefined || checkModulePath(path) !== undefined) return undefined;
  return path;
}

/** `module.UnescapeVersion`: the version a case-encoded version stands for, if it is a valid file-path element. */
export function unescapeVersion(escaped: string): string | undefined {
  const v = unescapeString(escaped);
  if (v === undefined || checkFileElement(v) !== undefined) return undefined;
  return v;
}

/** `escapeString`: `!` + lower case for each ASCII upper-case letter; only ASCII without `!` is encodable. */
function escapeString(s: string): string | undefined {
  // deno-lint-ignore no-control-regex -- ASCII is the range being tested
  if (!/^[\x00-\x7f]*$/.test(s) || s.includes('!')) return undefined;
  return s.replace(/[A-Z]/g, (upper) => `!${upper.toLowerCase()}`);
}

/** ASCII other than `!` and `A`–`Z` (the ranges around them), or `!` and a lower-case letter. */
// deno-lint-ignore no-control-regex -- the escaped form's ASCII ranges include the controls
const ESCAPED_FORM = /^(?:[\x00-\x20\x22-\x40\x5b-\x7f]|![a-z])*$/;

/**
 * `unescapeString`: `!` followed by `a`–`z` is that letter in upper case. Invalid: any non-ASCII
 * character, an upper-case letter (it would have been encoded), `!` before anything but `a`–`z`,
 * and a trailing `!`.
 */
function unescapeString(escaped: string): string | undefined {
  if (!ESCAPED_FORM.test(escaped)) return undefined;
  return escaped.replace(/![a-z]/g, (bang) => bang[1].toUpperCase());
}
