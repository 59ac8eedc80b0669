/**
 * The little of go.mod that the proxy needs to read: the `module` directive, and the synthesized
 * go.mod of a version that has none.
 */

/**
 * The module path a go.mod declares, or '' when it has none — the go command's `modfile.ModulePath`:
 * the first `module` directive, its argument unquoted (a Go string literal or a bare word),
 * comments ignored. A block form `module ( … )` is not valid go.mod syntax for the module path.
 */
export function modulePathOf(goMod: string): string {
  for (const rawLine of goMod.split('\n')) {
    const line = stripComment(rawLine).trim();
    if (!line.startsWith('module')) continue;
    const rest = line.slice('module'.length);
    if (rest !== '' && !/^\s/.test(rest) && !rest.startsWith('"')) continue; // `modulex …` is another word
    return unquote(rest.trim());
  }
  return '';
}

/** What `.mod` answers for a version without a go.mod (`modfetch.LegacyGoMod`): exactly `module <path>\n`. */
export function legacyGoMod(modulePath: string): Uint8Array {
  return new TextEncoder().encode(`module ${modulePath}\n`);
}

function stripComment(line: string): string {
  const at = line.indexOf('//');
  return at < 0 ? line : line.slice(0, at);
}

function unquote(word: string): string {
  if (word.startsWith('"')) {
    try {
      const value: unknown = JSON.parse(word);
      return typeof value === 'string' ? value : '';
    } catch {
      return '';
    }
  }
  if (word.startsWith('`') && word.endsWith('`') && word.length >= 2) return word.slice(1, -1);
  return /^\S+$/.test(word) ? word : '';
}
