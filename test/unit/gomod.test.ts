import assert from 'node:assert/strict';
import { test } from 'node:test';
import { legacyGoMod, modulePathOf } from '../../lib/modules/gomod.ts';

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
});

test('legacyGoMod is exactly "module <path>\\n"', () => {
  assert.equal(new TextDecoder().decode(legacyGoMod('example.com/m')), 'module example.com/m\n');
});
