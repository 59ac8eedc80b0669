/**
 * Reading go.mod, the one lexer for everything the proxy needs of it: the `module` directive, the
 * tokens of each line (for the `go` and `retract` directives, see gomod-lax.ts), and the
 * synthesized go.mod of a version that has none.
 *
 * Two readers, as in the go command: `modulePathOf` is `modfile.ModulePath`, a line scanner that
 * never fails; everything else is `modfile.ParseLax` (gomod-lax.ts), built on go.mod's lexer (`lexLine`), where
 * a quoted string left open fails the whole file.
 *
 * A go.mod may be 16 MiB, and reading one takes time on the event loop in proportion: what is read
 * from a go.mod's bytes is kept with them (`readOncePerBlob`, a `WeakMap` on the very bytes, which
 * the repository's file cache hands out again for the same commit and path), so each blob is read
 * once for as long as it is cached, not once per request.
 */
const decoder = new TextDecoder();
const modulePaths = new WeakMap<Uint8Array, string>();

/** Bytes of a go.mod's start where its `module` directive is looked for first. */
const HEAD_BYTES = 64 * 1024;

/**
 * `modulePathOf` of a go.mod's bytes, read once per blob; from its first lines when the directive
 * is there, as it nearly always is (a 16 MiB go.mod is not decoded whole for its first line).
 */
export function declaredModulePath(goMod: Uint8Array): string {
  return readOncePerBlob(modulePaths, goMod, (whole) => {
    if (goMod.length <= HEAD_BYTES) return modulePathOf(whole());
    const head = goMod.subarray(0, goMod.subarray(0, HEAD_BYTES).lastIndexOf(0x0a) + 1);
    return modulePathOf(decoder.decode(head)) || modulePathOf(whole());
  });
}

/** `read` of a go.mod's bytes (given its text when it asks), computed once per blob and kept in `memo` while the bytes live. */
function readOncePerBlob<V>(memo: WeakMap<Uint8Array, V>, goMod: Uint8Array, read: (text: () => string) => V): V {
  let value = memo.get(goMod);
  if (value === undefined) {
    value = read(() => decoder.decode(goMod));
    memo.set(goMod, value);
  }
  return value;
}

/**
 * The largest go.mod the go command reads: a version whose go.mod is larger is invalid
 * (`codehost.MaxGoMod`), and so is a module zip holding one (x/mod `zip.MaxGoMod`); both are 16 MiB.
 */
export const MAX_GO_MOD = 16 << 20;

/**
 * The go.mod lexer's tokens: a `//` comment, quoted strings, the punctuation `( ) [ ] , { }`,
 * words (which end where a `//` starts), and a stray quote (an error).
 */
const TOKEN = /\/\/.*|"(?:[^"\\\n]|\\.)*"|`[^`]*`|[()[\],{}]|(?:[^\s()[\],{}"`/]|\/(?!\/))+|["`]/g;

/** One line of a go.mod through the lexer: its tokens, and its `//` comment's text (trimmed), if it has one. */
export interface GoModLine {
  readonly tokens: string[];
  readonly comment: string | undefined;
}

/** Lexes one line; undefined when a quoted string is not closed on it, which fails `modfile.ParseLax`. */
export function lexLine(line: string): GoModLine | undefined {
  const tokens: string[] = [];
  for (const [token] of line.matchAll(TOKEN)) {
    if (token.startsWith('//')) return { tokens, comment: token.slice(2).trim() };
    if (token === '"' || token === '`') return undefined;
    tokens.push(token);
  }
  return { tokens, comment: undefined };
}

/**
 * The tokens of each line of `goMod`, comments dropped; undefined when a quoted string is not
 * closed on its line, a syntax error that fails `modfile.ParseLax` whatever else the file holds.
 */
export function goModLines(goMod: string): string[][] | undefined {
  const lines: string[][] = [];
  for (const line of goMod.split('\n')) {
    const lexed = lexLine(line);
    if (lexed === undefined) return undefined;
    lines.push(lexed.tokens);
  }
  return lines;
}

/**
 * `modfile.parseString`: a quoted token unquoted (a Go string literal, or a raw string between
 * backquotes), a bare word as is; undefined when the quoting is bad.
 */
export function unquote(token: string): string | undefined {
  if (token.startsWith('`')) {
    return token.length >= 2 && token.indexOf('`', 1) === token.length - 1 ? token.slice(1, -1) : undefined;
  }
  if (!token.startsWith('"')) return token;
  try {
    const value: unknown = JSON.parse(token);
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The module path a go.mod declares, or '' when it has none — the go command's `modfile.ModulePath`:
 * the first `module` directive, its argument unquoted (a Go string literal or a bare word),
 * comments ignored. A block form `module ( … )` is not valid go.mod syntax for the module path.
 */
export function modulePathOf(goMod: string): string {
  // Line by line without splitting the whole file: the directive is near the top of a 16 MiB go.mod.
  for (let start = 0; start <= goMod.length;) {
    const newline = goMod.indexOf('\n', start);
    const end = newline < 0 ? goMod.length : newline;
    const line = goMod.slice(start, end).split('//', 1)[0]!.trim();
    start = end + 1;
    if (!line.startsWith('module')) continue;
    const rest = line.slice('module'.length);
    if (rest !== '' && !/^\s/.test(rest) && !rest.startsWith('"')) continue; // `modulex …` is another word
    const word = rest.trim();
    if (word.startsWith('"') || word.startsWith('`')) return unquote(word) ?? '';
    return /^\S+$/.test(word) ? word : '';
  }
  return '';
}

/** modfile's `go` argument check: `GoVersionRE`, else `laxGoVersionRE` keeping major.minor. */
export function laxGoVersion(argument: string): string | undefined {
  if (/^[1-9]\d*\.(?:0|[1-9]\d*)(?:\.(?:0|[1-9]\d*))?(?:[a-z]+\d+)?$/.test(argument)) return argument;
  return /^v?([1-9]\d*\.(?:0|[1-9]\d*))[^0-9].*$/.exec(argument)?.[1];
}

/** What `.mod` answers for a version without a go.mod (`modfetch.LegacyGoMod`): exactly `module <path>\n`. */
export function legacyGoMod(modulePath: string): Uint8Array {
  return new TextEncoder().encode(`module ${modulePath}\n`);
}
