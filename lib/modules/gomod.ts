/**
 * Reading go.mod, the one parser for everything the proxy needs of it: the `module` directive, the
 * `go` directive (for the zip's vendor rule), the tokens of each line (for `retract`, see
 * retract.ts), and the synthesized go.mod of a version that has none.
 *
 * Two readers, as in the go command: `modulePathOf` is `modfile.ModulePath`, a line scanner that
 * never fails; everything else is `modfile.ParseLax`, built on go.mod's lexer (`goModLines`), where
 * a quoted string left open fails the whole file.
 *
 * A go.mod may be 16 MiB, and reading one takes time on the event loop in proportion: what is read
 * from a go.mod's bytes is kept with them (`readOncePerBlob`, a `WeakMap` on the very bytes, which
 * the repository's file cache hands out again for the same commit and path), so each blob is read
 * once for as long as it is cached, not once per request.
 */
const decoder = new TextDecoder();
const modulePaths = new WeakMap<Uint8Array, string>();

/** `modulePathOf` of a go.mod's bytes, read once per blob. */
export function declaredModulePath(goMod: Uint8Array): string {
  return readOncePerBlob(modulePaths, goMod, modulePathOf);
}

/** `read` of a go.mod's bytes as text, computed once per blob and kept in `memo` while the bytes live. */
export function readOncePerBlob<V>(memo: WeakMap<Uint8Array, V>, goMod: Uint8Array, read: (goMod: string) => V): V {
  let value = memo.get(goMod);
  if (value === undefined) {
    value = read(decoder.decode(goMod));
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

/**
 * The tokens of each line of `goMod`, comments dropped; undefined when a quoted string is not
 * closed on its line, a syntax error that fails `modfile.ParseLax` whatever else the file holds.
 */
export function goModLines(goMod: string): string[][] | undefined {
  const lines: string[][] = [];
  for (const line of goMod.split('\n')) {
    const tokens: string[] = [];
    for (const [token] of line.matchAll(TOKEN)) {
      if (token.startsWith('//')) break;
      if (token === '"' || token === '`') return undefined;
      tokens.push(token);
    }
    lines.push(tokens);
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
  for (const rawLine of goMod.split('\n')) {
    const line = rawLine.split('//', 1)[0]!.trim();
    if (!line.startsWith('module')) continue;
    const rest = line.slice('module'.length);
    if (rest !== '' && !/^\s/.test(rest) && !rest.startsWith('"')) continue; // `modulex …` is another word
    const word = rest.trim();
    if (word.startsWith('"') || word.startsWith('`')) return unquote(word) ?? '';
    return /^\S+$/.test(word) ? word : '';
  }
  return '';
}

/**
 * The version in a go.mod's `go` directive as x/mod reads it (`modfile.ParseLax`): the argument of
 * the one `go` line, when it matches `GoVersionRE` (`1.24`, `1.24.3`, `1.24rc1`) or, cut down to
 * major.minor, the lax form (`1.24-custom`, `v1.24x`). Undefined when there is no such line, it is
 * repeated, has other than one argument, or is not a version, or the file does not lex: ParseLax
 * then fails. (Other errors that make ParseLax fail are not looked for here.)
 */
export function goDirective(goMod: string): string | undefined {
  const goLines = (goModLines(goMod) ?? []).filter((tokens) => tokens[0] === 'go');
  const args = goLines.length === 1 ? goLines[0]!.slice(1) : [];
  return args.length === 1 ? laxGoVersion(args[0]!) : undefined;
}

/** modfile's `go` argument check: `GoVersionRE`, else `laxGoVersionRE` keeping major.minor. */
function laxGoVersion(argument: string): string | undefined {
  if (/^[1-9]\d*\.(?:0|[1-9]\d*)(?:\.(?:0|[1-9]\d*))?(?:[a-z]+\d+)?$/.test(argument)) return argument;
  return /^v?([1-9]\d*\.(?:0|[1-9]\d*))[^0-9].*$/.exec(argument)?.[1];
}

/** What `.mod` answers for a version without a go.mod (`modfetch.LegacyGoMod`): exactly `module <path>\n`. */
export function legacyGoMod(modulePath: string): Uint8Array {
  return new TextEncoder().encode(`module ${modulePath}\n`);
}
