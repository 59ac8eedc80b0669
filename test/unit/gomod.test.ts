/**
 * Reading go.mod files (lib/modules/gomod.ts): the module directive as `modfile.ModulePath` reads
 * it, and the go.mod the go command synthesizes for a version without one.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { goDirective } from '../../lib/modules/gomod-lax.ts';
import { goModLines, legacyGoMod, modulePathOf } from '../../lib/modules/gomod.ts';

test('modulePathOf reads the module directive like modfile.ModulePath', () => {
  assert.equal(modulePathOf('module example.com/m\n\ngo 1.19\n'), 'example.com/m');
  assert.equal(modulePathOf('// comment\nmodule   example.com/m/v2 // trailing\n'), 'example.com/m/v2');
  assert.equal(modulePathOf('module "example.com/quoted"\n'), 'example.com/quoted');
  assert.equal(modulePathOf('module `example.com/raw`\n'), 'example.com/raw');
  assert.equal(modulePathOf('\r\nmodule example.com/crlf\r\n'), 'example.com/crlf');
  assert.equal(modulePathOf('go 1.19\n'), '');
  assert.equal(modulePathOf('modulex example.com/m\n'), '');
  assert.equal(modulePathOf('module\n'), '');
  assert.equal(modulePathOf('module "unterminated\n'), '');
  assert.equal(modulePathOf('module two words\n'), '');
  assert.equal(modulePathOf('module `example.com/open\n'), '');
});

test('legacyGoMod is exactly "module <path>\\n"', () => {
  assert.equal(new TextDecoder().decode(legacyGoMod('example.com/m')), 'module example.com/m\n');
});

test('goDirective reads the go line as modfile.ParseLax does', () => {
  const cases: [string, string | undefined][] = [
    ['module m\n\ngo 1.24\n', '1.24'],
    ['module m\ngo 1.21.0 // comment\n', '1.21.0'],
    ['module m\r\ngo 1.22rc1\r\n', '1.22rc1'],
    ['module m\ngo\t1.24\n', '1.24'],
    ['module m\ngo 1.24-custom\n', '1.24'], // laxGoVersionRE keeps major.minor
    ['module m\ngo v1.25x\n', '1.25'],
    ['module m\n', undefined],
    ['module m\ngo 1.24\ngo 1.25\n', undefined], // repeated go statement
    ['module m\ngo 1.24 1.25\n', undefined],
    ['module m\ngo\n', undefined],
    ['module m\ngo banana\n', undefined],
    ['module m\ngo 1\n', undefined],
    ['module m\n// go 1.24\n', undefined],
    ['module m\ngopher 1.24\n', undefined],
    ['module m\ngo 1.24// no space before the comment\n', '1.24'],
    ['module m\ngo 1.24,\n', undefined], // a comma is a token of its own: two arguments
    ['module m\ngo 1.24\nrequire "example.com/x v1.0.0\n', undefined], // a string left open fails ParseLax
  ];
  for (const [goMod, expected] of cases) assert.equal(goDirective(goMod), expected, JSON.stringify(goMod));
});

test('goModLines: comments dropped, punctuation split off, quotes kept; a string left open fails the file', () => {
  assert.deepEqual(goModLines('retract [v1.0.0,"v1.1.0"]//why\n// all comment\nrequire (\n'), [
    ['retract', '[', 'v1.0.0', ',', '"v1.1.0"', ']'],
    [],
    ['require', '('],
    [],
  ]);
  assert.deepEqual(goModLines('a/b c//d'), [['a/b', 'c']]);
  assert.equal(goModLines('module m\nretract `v1'), undefined);
});
