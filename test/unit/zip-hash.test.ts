/**
 * `dirhash.Hash1` (lib/zip/hash.ts), the `h1:` hash of go.sum: over the project's own rule table
 * and, when they sit beside the project, x/mod's unzip vectors; sort order by UTF-8 bytes, refused
 * names and digests, the go.mod hash and go.sum lines. Also the txtar reader the vectors need.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { goSumLines, Hash1, hashGoMod, sha256Hex } from '../../lib/zip/hash.ts';
import { seededRandom } from '../support/random.ts';
import { parseTxtar, readZipVectors, X_MOD_SKIP } from '../support/txtar.ts';
import { EMPTY_ZIP_HASH, ZIP_RULE_CASES } from '../support/zip-rule-cases.ts';
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Hash1 written out the long way, for comparing against the builder's sort. */
function hashOfSortedLines(lines: readonly (readonly [string, string])[]): string {
  const text = lines.map(([name, content]) => `${sha256Hex(bytes(content))}  ${name}\n`).join('');
  return `h1:${createHash('sha256').update(text, 'utf8').digest('base64')}`;
}

test('zip rule table: Hash1 over the kept files, named <module>@<version>/<file>, gives the recorded hash', () => {
  for (const ruleCase of ZIP_RULE_CASES) {
    const hash = new Hash1();
    for (const kept of ruleCase.kept) {
      hash.add(`${ruleCase.modulePath}@${ruleCase.version}/${kept}`, sha256Hex(bytes(ruleCase.files[kept]!)));
    }
    assert.equal(hash.digest(), ruleCase.hash, ruleCase.name);
  }
});

test('x/mod unzip vectors: Hash1 over the prefixed names gives the recorded hash', { skip: X_MOD_SKIP }, () => {
  const vectors = readZipVectors('unzip');
  assert.ok(vectors.length >= 3, 'expected the unzip vectors beside the project');
  for (const vector of vectors) {
    const hash = new Hash1();
    for (const file of vector.files) hash.add(file.name, sha256Hex(file.data));
    assert.equal(hash.digest(), vector.hash, vector.id);
  }
});

test('the txtar reader keeps x/tools semantics: final newline added, empty sections are empty files', () => {
  const { comment, files } = parseTxtar(Buffer.from('a=b\n-- one --\nx\n-- empty --\n-- last --\nno newline'));
  assert.equal(comment.toString(), 'a=b\n');
  assert.deepEqual(files.map((file) => [file.name, file.data.toString()]), [
    ['one', 'x\n'],
    ['empty', ''],
    ['last', 'no newline\n'],
  ]);
});

test('no files hash to the SHA-256 of nothing', () => {
  assert.equal(new Hash1().digest(), EMPTY_ZIP_HASH);
});

test('hashGoMod matches the go command for a one-line go.mod', () => {
  // The go.sum `/go.mod` line Go 1.19 writes for a go.mod holding only this line.
  assert.equal(hashGoMod(bytes('module example.com/m\n')), 'h1:flS2VctbRrTv+sBE+VKgxx6hlkMGPVz9MGOmzMYFg3k=');
});

test('hashGoMod hashes the name go.mod without any prefix', () => {
  const hash = new Hash1();
  hash.add('example.com/m@v1.0.0/go.mod', sha256Hex(bytes('module example.com/m\n')));
  assert.notEqual(hash.digest(), hashGoMod(bytes('module example.com/m\n')));
});

test('the digest does not depend on the order files are added in', () => {
  const forward = new Hash1();
  const backward = new Hash1();
  const files = [['m@v1.0.0/b.go', 'b'], ['m@v1.0.0/a.go', 'a'], ['m@v1.0.0/sub/c.go', 'c']] as const;
  for (const [name, content] of files) forward.add(name, sha256Hex(bytes(content)));
  for (const [name, content] of [...files].reverse()) backward.add(name, sha256Hex(bytes(content)));
  assert.equal(forward.digest(), backward.digest());
  assert.equal(forward.digest(), hashOfSortedLines([files[1], files[0], files[2]]));
});

test('names sort by UTF-8 bytes, not UTF-16 code units', () => {
  // U+FF21 FULLWIDTH A is EF BC A1 in UTF-8 and U+10400 DESERET is F0 90 90 80, so Go puts the
  // fullwidth name first; in UTF-16 they are FF21 and D801 DC00, so JS's default sort does the reverse.
  const fullwidth = 'm@v1.0.0/\uFF21.go';
  const deseret = 'm@v1.0.0/\u{10400}.go';
  assert.ok([deseret, fullwidth].sort()[0] === deseret, 'precondition: JS sorts the astral name first');
  const hash = new Hash1();
  hash.add(deseret, sha256Hex(bytes('d')));
  hash.add(fullwidth, sha256Hex(bytes('f')));
  assert.equal(hash.digest(), hashOfSortedLines([[fullwidth, 'f'], [deseret, 'd']]));
  assert.notEqual(hash.digest(), hashOfSortedLines([[deseret, 'd'], [fullwidth, 'f']]));
});

test('random names, sharing prefixes and mixing every range of UTF-16 units, hash in UTF-8 byte order', () => {
  const random = seededRandom(20);
  // Units from every range that orders differently: ASCII, Latin-1, below and above the surrogates, astral pairs.
  const pieces = [
    'a',
    'b',
    '/',
    '\u00E9',
    '\u0800',
    '\uD7FF',
    '\uE000',
    '\uFF21',
    '\uFFFF',
    '\u{10000}',
    '\u{10400}',
    '\u{10FFFF}',
  ];
  const word = () =>
    Array.from({ length: 1 + Math.floor(random() * 4) }, () => pieces[Math.floor(random() * pieces.length)]).join('');
  for (const prefix of ['m@v1.0.0/', '', '\u{10400}']) {
    const names = new Set<string>();
    while (names.size < 3000) {
      names.add(prefix + (random() < 0.3 && names.size > 0 ? [...names].pop()!.slice(prefix.length) : '') + word());
    }
    const files = [...names].map((name) => [name, `content of ${name}`] as const);
    const hash = new Hash1();
    for (const [name, content] of files) hash.add(name, sha256Hex(bytes(content)));
    const byUtf8 = [...files].sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    assert.equal(hash.digest(), hashOfSortedLines(byUtf8), `names starting ${JSON.stringify(prefix)}`);
  }
});

test('a name longer than a 64 KiB block and one that is a prefix of all others hash as Go does', () => {
  const long = `m@v1.0.0/${'x'.repeat(200_000)}`;
  const files = [[long, 'long'], ['m@v1.0.0/', 'empty'], ['m@v1.0.0/a', 'a']] as const;
  const hash = new Hash1();
  for (const [name, content] of files) hash.add(name, sha256Hex(bytes(content)));
  assert.equal(hash.digest(), hashOfSortedLines([files[1], files[2], files[0]]));
});

test('non-ASCII names hash as Go 1.19 dirhash.Hash1 hashes them', () => {
  // Expected value printed by dirhash.Hash1 (Go 1.19's golang.org/x/mod) for these names, each
  // file holding "content of <name>".
  const names = [
    'm@v1.0.0/\u{10400}.go',
    'm@v1.0.0/\uFF21.go',
    'm@v1.0.0/a.go',
    'm@v1.0.0/\u00E9/b.go',
    'm@v1.0.0/Z.go',
  ];
  const hash = new Hash1();
  for (const name of names) hash.add(name, sha256Hex(bytes(`content of ${name}`)));
  assert.equal(hash.digest(), 'h1:me+RvjlfQdksNFVO75GnXVXNF7VsbYm3M6JJsZyA14M=');
});

test('a newline in a name is refused, as dirhash does', () => {
  assert.throws(() => new Hash1().add('m@v1.0.0/a\nb', sha256Hex(bytes(''))), /newlines/);
});

test('a name with a lone surrogate or a malformed digest is refused', () => {
  assert.throws(() => new Hash1().add('m@v1.0.0/\uD800.go', sha256Hex(bytes(''))), /not valid Unicode/);
  assert.throws(() => new Hash1().add('m@v1.0.0/a.go', 'ABC'), /not a hex SHA-256/);
  assert.throws(() => new Hash1().add('m@v1.0.0/a.go', sha256Hex(bytes('')).toUpperCase()), /not a hex SHA-256/);
});

test('the same name added twice counts twice, as in Hash1', () => {
  const once = new Hash1();
  const twice = new Hash1();
  once.add('m@v1.0.0/a.go', sha256Hex(bytes('a')));
  twice.add('m@v1.0.0/a.go', sha256Hex(bytes('a')));
  twice.add('m@v1.0.0/a.go', sha256Hex(bytes('a')));
  assert.notEqual(once.digest(), twice.digest());
});

test('goSumLines writes the zip line, then the /go.mod line', () => {
  assert.equal(
    goSumLines('example.com/m', 'v1.0.0', 'h1:zip=', 'h1:mod='),
    'example.com/m v1.0.0 h1:zip=\nexample.com/m v1.0.0/go.mod h1:mod=\n',
  );
});
