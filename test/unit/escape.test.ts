/**
 * Module path and version case encoding (lib/modules/escape.ts), `!x` for `X`, against x/mod's own
 * escape tables (`golang.org/x/mod/module/module_test.go`) and the escaped forms it refuses.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { escapePath, escapeVersion, unescapePath, unescapeVersion } from '../../lib/modules/escape.ts';

describe('escapePath / unescapePath (x/mod escapeTests)', () => {
  const cases: readonly (readonly [string, string])[] = [
    ['ascii.com/abcdefghijklmnopqrstuvwxyz.-/~_0123456789', 'ascii.com/abcdefghijklmnopqrstuvwxyz.-/~_0123456789'],
    ['github.com/GoogleCloudPlatform/omega', 'github.com/!google!cloud!platform/omega'],
    ['github.com/Azure/azure-sdk-for-go/v68', 'github.com/!azure/azure-sdk-for-go/v68'],
    ['example.com/ABC/XyZ', 'example.com/!a!b!c/!xy!z'],
  ];
  for (const [path, escaped] of cases) {
    it(path, () => {
      assert.equal(escapePath(path), escaped);
      assert.equal(unescapePath(escaped), path);
    });
  }
  it('refuses to escape invalid module paths', () => {
    for (const path of ['', 'x.y/z/v1', 'Example.com/x', 'localhost/x', 'x.y/a b', 'x.y/é', 'x.y/a!b']) {
      assert.equal(escapePath(path), undefined, path);
    }
  });
});

describe('unescapePath refusals (x/mod badUnescape and more)', () => {
  const bad = [
    'github.com/GoogleCloudPlatform/omega',
    'github.com/!google!cloud!platform!/omega',
    'github.com/!0google!cloud!platform/omega',
    'github.com/!_google!cloud!platform/omega',
    'github.com/!!google!cloud!platform/omega',
    'github.com/omega!',
    '',
    'example.com/é',
    'example.com/x/v1',
    'localhost/x',
  ];
  for (const escaped of bad) {
    it(JSON.stringify(escaped), () => assert.equal(unescapePath(escaped), undefined));
  }
});

describe('escapeVersion / unescapeVersion', () => {
  const cases: readonly (readonly [string, string])[] = [
    ['v1.2.3', 'v1.2.3'],
    ['v2.0.0+incompatible', 'v2.0.0+incompatible'],
    ['Main', '!main'],
    ['v1.0.0-RC1', 'v1.0.0-!r!c1'],
    ['release-1', 'release-1'],
    ['abcdef1234', 'abcdef1234'],
  ];
  for (const [v, escaped] of cases) {
    it(v, () => {
      assert.equal(escapeVersion(v), escaped);
      assert.equal(unescapeVersion(escaped), v);
    });
  }
  it('refuses versions that are not one valid file-path element, contain ! or are not ASCII', () => {
    for (const v of ['feature/x', '', '..', 'v1.', 'a!b', 'a;b', 'a:b', 'ü', 'aux']) {
      assert.equal(escapeVersion(v), undefined, v);
    }
  });
  it('refuses malformed escapes and unescaped results that are not valid elements', () => {
    for (const escaped of ['Main', '!Main', '!', 'x!', '!1', 'ü', 'feature/x', '', '..', 'v1.', 'a;b', 'nul']) {
      assert.equal(unescapeVersion(escaped), undefined, escaped);
    }
  });
  it('accepts what direct mode resolves: branch names with dashes, leading dashes, hashes', () => {
    assert.equal(unescapeVersion('-x'), '-x');
    assert.equal(unescapeVersion('!h!e!a!d'), 'HEAD');
  });
});
