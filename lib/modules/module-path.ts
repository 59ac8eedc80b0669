/**
 * Module paths, import paths and file paths, checked exactly as the go command checks them
 * (golang.org/x/mod `module/module.go`: `CheckPath`, `CheckImportPath`, `CheckFilePath`, `checkPath`,
 * `checkElem`, `SplitPathVersion`, `CheckPathMajor`).
 *
 * Every check returns `undefined` when the input is valid, else a short one-line reason.
 *
 * The three kinds differ only in details:
 * - module path: elements of ASCII letters, digits and `- . _ ~`, no leading dot; the first
 *   element is a lower-case domain name with a dot; an optional final `/vN` major suffix (N ≥ 2);
 * - import path: like a module path's elements, plus `+`, and leading dots allowed;
 * - file path: a larger character set (Unicode letters, space, most punctuation), leading dots and
 *   dashes allowed, no Windows short-name rule.
 */

import { build, major } from './semver.ts';
import { goQuote, goQuoteRune } from './go-quote.ts';

type PathKind = 'module' | 'import' | 'file';

/** `module.CheckPath`: is `path` a valid module path? */
export function checkModulePath(path: string): string | undefined {
  const generalProblem = checkPath(path, 'module');
  if (generalProblem !== undefined) return generalProblem;
  const slash = path.indexOf('/');
  const firstElement = slash < 0 ? path : path.slice(0, slash);
  if (!firstElement.includes('.')) return 'missing dot in first path element';
  for (const char of firstElement) {
    if (!isDomainChar(char)) return `invalid char ${goQuoteRune(char)} in first path element`;
  }
  if (splitPathVersion(path) === undefined) return 'invalid version';
  return undefined;
}

/** `module.CheckImportPath`: is `path` a valid package import path? */
export function checkImportPath(path: string): string | undefined {
  return checkPath(path, 'import');
}

/** `module.CheckFilePath`: is `path` (slash-separated, relative) a valid file path inside a module? */
export function checkFilePath(path: string): string | undefined {
  return checkPath(path, 'file');
}

/**
 * `checkElem(elem, filePath)`: is `elem` a valid single file-path element? The go command requires
 * this of every version string it puts in a URL (`module.EscapeVersion`, `UnescapeVersion`).
 */
export function checkFileElement(elem: string): string | undefined {
  if (isIllFormed(elem)) return 'invalid UTF-8';
  return checkElement(elem, 'file');
}

/**
 * `module.SplitPathVersion` for `/vN` suffixes: `prefix + pathMajor === path`, and `pathMajor` is
 * '' or `/vN` with N ≥ 2. Undefined when the final element looks like a major suffix but is not a
 * valid one (`/v1`, `/v02`, `/v1.2`, `/v0`).
 *
 * gopkg.in paths (`gopkg.in/yaml.v2`, Go's `splitGopkgIn`) are not recognised: this proxy serves
 * modules out of its own git repositories, never gopkg.in. Such a path splits with pathMajor ''.
 */
export function splitPathVersion(path: string): { prefix: string; pathMajor: string } | undefined {
  let start = path.length;
  let hasDot = false;
  while (start > 0 && isDigitOrDot(path[start - 1])) {
    if (path[start - 1] === '.') hasDot = true;
    start--;
  }
  const noSuffix = { prefix: path, pathMajor: '' };
  if (start <= 1 || start === path.length || path[start - 1] !== 'v' || path[start - 2] !== '/') return noSuffix;
  const pathMajor = path.slice(start - 2);
  if (hasDot || pathMajor[2] === '0' || pathMajor === '/v1') return undefined;
  return { prefix: path.slice(0, start - 2), pathMajor };
}

/**
 * `module.CheckPathMajor` (as `MatchPathMajor`): may version `v` belong to a module whose path ends
 * in `pathMajor` ('' or `/vN`)? '' accepts v0, v1 and any `+incompatible` version; `/vN` accepts vN.
 */
export function checkPathMajor(v: string, pathMajor: string): boolean {
  if (pathMajor === '') return major(v) === 'v0' || major(v) === 'v1' || build(v) === '+incompatible';
  return pathMajor.startsWith('/') && major(v) === pathMajor.slice(1);
}

/** `checkPath`: the rules shared by all three kinds of path. */
function checkPath(path: string, kind: PathKind): string | undefined {
  if (isIllFormed(path)) return 'invalid UTF-8';
  if (path === '') return 'empty string';
  if (path[0] === '-' && kind !== 'file') return 'leading dash';
  if (path.includes('//')) return 'double slash';
  if (path.endsWith('/')) return 'trailing slash';
  if (kind === 'file' && PLAIN_FILE_PATH.test(path) && !RESERVED_NAME_ANYWHERE.test(path)) return undefined;
  for (const elem of path.split('/')) {
    const problem = checkElement(elem, kind);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/** `checkElem`: the rules for one path element. */
function checkElement(elem: string, kind: PathKind): string | undefined {
  if (elem === '') return 'empty path element';
  if (/^\.+$/.test(elem)) return `invalid path element ${goQuote(elem)}`;
  if (elem[0] === '.' && kind === 'module') return 'leading dot in path element';
  if (elem.endsWith('.')) return 'trailing dot in path element';
  if (!ALLOWED_ELEMENT[kind].test(elem)) {
    const bad = [...elem].find((char) => !ALLOWED_CHAR[kind](char));
    return `invalid char ${goQuoteRune(bad!)}`;
  }
  const short = beforeFirstDot(elem);
  if (WINDOWS_RESERVED_NAME.test(short)) {
    return `${goQuote(short)} disallowed as path element component on Windows`;
  }
  // Windows short names (`GIT~1`) matter for import paths only, not for file names.
  if (kind !== 'file' && WINDOWS_SHORT_NAME_SUFFIX.test(short)) return 'trailing tilde and digits in path element';
  return undefined;
}

/** ASCII letters, digits and {@link FILE_NAME_PUNCTUATION} but the dot, as a regex class body. */
const FILE_ASCII_CLASS = String.raw`A-Za-z0-9!#$%&()+,\-=@[\]^_{}~ `;

/** A file-path element of those characters and dots, not ending in a dot (a regex source). */
const PLAIN_ELEMENT = String.raw`[.${FILE_ASCII_CLASS}]*[${FILE_ASCII_CLASS}]`;

/**
 * A file path whose every element is plainly valid (ASCII file-name characters, not ending in a dot,
 * so neither empty nor all dots): with no reserved name in it, `checkElement` would pass each one.
 * A deep tree's paths have hundreds of elements; this answers for most paths in one scan.
 */
const PLAIN_FILE_PATH = new RegExp(String.raw`^${PLAIN_ELEMENT}(?:\/${PLAIN_ELEMENT})*$`);

/** An element that is a Windows reserved name up to its first dot (see {@link WINDOWS_RESERVED_NAME}). */
const RESERVED_NAME_ANYWHERE = /(?:^|\/)(?:CON|PRN|AUX|NUL|COM[1-9]|LPT[1-9])(?:[./]|$)/i;

/**
 * Reserved device names on Windows, compared with the element up to its first dot, ignoring ASCII
 * case (`badWindowsNames` with `strings.EqualFold`; no non-ASCII letter folds onto these). The `i`
 * flag without `u` never matches a non-ASCII character against an ASCII one.
 */
const WINDOWS_RESERVED_NAME = /^(?:CON|PRN|AUX|NUL|COM[1-9]|LPT[1-9])$/i;

/** A tilde followed by one or more ASCII digits at the end: looks like a Windows short name. */
const WINDOWS_SHORT_NAME_SUFFIX = /~[0-9]+$/;

/** Which characters each kind of path element may hold (`modPathOK`, `importPathOK`, `fileNameOK`). */
const ALLOWED_CHAR: Readonly<Record<PathKind, (char: string) => boolean>> = {
  module: isModulePathChar,
  import: (char) => isModulePathChar(char) || char === '+',
  file: isFileNameChar,
};

/**
 * The same rules as {@link ALLOWED_CHAR} over a whole element at once (a path walk's hot spot): a
 * character that fails here is then looked for one at a time, for the message.
 */
const ALLOWED_ELEMENT: Readonly<Record<PathKind, RegExp>> = {
  module: /^[A-Za-z0-9._~-]*$/,
  import: /^[A-Za-z0-9._~+-]*$/,
  file: new RegExp(String.raw`^[.${FILE_ASCII_CLASS}\p{L}]*$`, 'u'),
};

/** `modPathOK`: ASCII letters and digits, `-`, `.`, `_` and `~`. */
function isModulePathChar(char: string): boolean {
  return /^[A-Za-z0-9._~-]$/.test(char);
}

/** ASCII punctuation allowed in file names (`fileNameOK`); note `;` is not among them. */
const FILE_NAME_PUNCTUATION = '!#$%&()+,-.=@[]^_{}~ ';

/**
 * `fileNameOK`: ASCII letters, digits, space and {@link FILE_NAME_PUNCTUATION}; beyond ASCII, only
 * letters (`unicode.IsLetter`). JavaScript's `\p{L}` follows a newer Unicode version than Go 1.19's
 * tables (13.0), so a letter added since then is accepted here but refused by that go command.
 */
function isFileNameChar(char: string): boolean {
  if (char.charCodeAt(0) < 0x80) return /^[A-Za-z0-9]$/.test(char) || FILE_NAME_PUNCTUATION.includes(char);
  return /^\p{L}$/u.test(char);
}

/** `firstPathOK`: the first element of a module path is a lower-case LDH domain name. */
function isDomainChar(char: string): boolean {
  return /^[a-z0-9.-]$/.test(char);
}

function isDigitOrDot(char: string | undefined): boolean {
  return char === '.' || (char !== undefined && char >= '0' && char <= '9');
}

function beforeFirstDot(elem: string): string {
  const dot = elem.indexOf('.');
  return dot < 0 ? elem : elem.slice(0, dot);
}

/** A JavaScript string that is not valid UTF-16 (a lone surrogate) has no UTF-8 form: Go's "invalid UTF-8". */
function isIllFormed(s: string): boolean {
  return /\p{Cs}/u.test(s);
}
