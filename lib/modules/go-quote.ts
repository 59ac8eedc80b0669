/**
 * Go's `%q`, for the reasons this proxy gives in Go's words: `strconv.Quote` for a string (`"…"`)
 * and `strconv.QuoteRune` for a rune (`'…'`). What Go's `unicode.IsPrint` calls printable (letters,
 * marks, numbers, punctuation, symbols and the ASCII space) stays as it is; everything else is
 * escaped (`\n`, `\x7f`, `\u202e`, `\U000e0001`), so a name carrying bidirectional controls or
 * invisible characters cannot make a refusal read as something else.
 */

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

const NAMED: Readonly<Record<string, string>> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
};

/** `strconv.Quote(text)`: a double-quoted Go string literal. */
export function goQuote(text: string): string {
  return `"${[...text].map((char) => escapeChar(char, '"')).join('')}"`;
}

/** `strconv.QuoteRune`: a single-quoted Go rune literal of one character (code point). */
export function goQuoteRune(char: string): string {
  return `'${escapeChar(char, "'")}'`;
}

function escapeChar(char: string, quote: string): string {
  if (char === quote || char === '\\') return `\\${char}`;
  if (PRINTABLE.test(char)) return char;
  const named = NAMED[char];
  if (named !== undefined) return named;
  const code = char.codePointAt(0)!;
  if (code < 0x20 || code === 0x7f) return `\\x${code.toString(16).padStart(2, '0')}`;
  // A lone surrogate is no valid rune: Go writes U+FFFD.
  const rune = code >= 0xd800 && code <= 0xdfff ? 0xfffd : code;
  return rune < 0x10000 ? `\\u${rune.toString(16).padStart(4, '0')}` : `\\U${rune.toString(16).padStart(8, '0')}`;
}
