/**
 * Go's `%q` (lib/modules/go-quote.ts), against what Go 1.19's `fmt.Sprintf("%q", …)` prints for
 * strings and runes: printable characters kept, bidirectional controls, other format characters,
 * control characters and non-ASCII spaces escaped.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { goQuote, goQuoteRune } from '../../lib/modules/go-quote.ts';

test('strings as strconv.Quote writes them', () => {
  const cases: Array<[string, string]> = [
    ['a\u202eb', '"a\\u202eb"'],
    ['tab\there', '"tab\\there"'],
    ['del\x7f', '"del\\x7f"'],
    ['nbsp\u00a0', '"nbsp\\u00a0"'],
    ['e\u0301', '"e\u0301"'],
    ['emoji😀', '"emoji😀"'],
    ['quote"back\\', '"quote\\"back\\\\"'],
    ['\x01', '"\\x01"'],
    ['€', '"€"'],
    ['a b', '"a b"'],
    ['\u2028', '"\\u2028"'],
    ['\u{e0001}', '"\\U000e0001"'],
    ['\ufeff', '"\\ufeff"'],
    ['\x07\b\f\n\r\v', '"\\a\\b\\f\\n\\r\\v"'],
    ['lone \ud800', '"lone \\ufffd"'],
  ];
  for (const [text, quoted] of cases) assert.equal(goQuote(text), quoted, JSON.stringify(text));
});

test('runes as strconv.QuoteRune writes them', () => {
  const cases: Array<[string, string]> = [
    ['é', "'é'"],
    ['\u202e', "'\\u202e'"],
    ["'", "'\\''"],
    ['"', `'"'`],
    [' ', "' '"],
    ['\t', "'\\t'"],
    ['\x7f', "'\\x7f'"],
    ['😀', "'😀'"],
    ['\u00a0', "'\\u00a0'"],
    ['\\', "'\\\\'"],
  ];
  for (const [char, quoted] of cases) assert.equal(goQuoteRune(char), quoted, JSON.stringify(char));
});
