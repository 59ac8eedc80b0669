/**
 * Module, import and file path checks (lib/modules/module-path.ts) against x/mod's tables
 * (`golang.org/x/mod/module/module_test.go`): `CheckPath`, `CheckImportPath`, `CheckFilePath`, file
 * elements, `SplitPathVersion` and `CheckPathMajor`, with the reasons given for refusals.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  checkFileElement,
  checkFilePath,
  checkImportPath,
  checkModulePath,
  checkPathMajor,
  splitPathVersion,
} from '../../lib/modules/module-path.ts';
import { seededRandom } from '../support/random.ts';

/** A lone surrogate: a JavaScript string with no UTF-8 form, our equivalent of Go's `"\xFF"`. */
const LONE_SURROGATE = '\uDC00';

/**
 * x/mod `module/module_test.go` `checkPathTests`: path, then whether it is a valid module path,
 * import path and file path. The verdicts are those of the x/mod vendored in Go 1.19 (checked by
 * running it); later x/mod tables differ on leading dots and dashes and on `+` in module paths.
 */
const X_MOD_PATHS: readonly (readonly [string, boolean, boolean, boolean])[] = [
  ['x.y/z', true, true, true],
  ['x.y', true, true, true],
  ['', false, false, false],
  [`x.y/${LONE_SURROGATE}z`, false, false, false],
  ['/x.y/z', false, false, false],
  ['x./z', false, false, false],
  ['.x/z', false, true, true],
  ['-x/z', false, false, true],
  ['x..y/z', true, true, true],
  ['x.y/z/../../w', false, false, false],
  ['x.y//z', false, false, false],
  ['x.y/z//w', false, false, false],
  ['x.y/z/', false, false, false],
  ['x.y/z/v0', false, true, true],
  ['x.y/z/v1', false, true, true],
  ['x.y/z/v2', true, true, true],
  ['x.y/z/v2.0', false, true, true],
  ['X.y/z', false, true, true],
  ['!x.y/z', false, false, true],
  ['_x.y/z', false, true, true],
  ['x.y!/z', false, false, true],
  ['x.y"/z', false, false, false],
  ['x.y#/z', false, false, true],
  ['x.y$/z', false, false, true],
  ['x.y%/z', false, false, true],
  ['x.y&/z', false, false, true],
  ["x.y'/z", false, false, false],
  ['x.y(/z', false, false, true],
  ['x.y)/z', false, false, true],
  ['x.y*/z', false, false, false],
  ['x.y+/z', false, true, true],
  ['x.y,/z', false, false, true],
  ['x.y-/z', true, true, true],
  ['x.y./zt', false, false, false],
  ['x.y:/z', false, false, false],
  ['x.y;/z', false, false, false],
  ['x.y</z', false, false, false],
  ['x.y=/z', false, false, true],
  ['x.y>/z', false, false, false],
  ['x.y?/z', false, false, false],
  ['x.y@/z', false, false, true],
  ['x.y[/z', false, false, true],
  ['x.y\\/z', false, false, false],
  ['x.y]/z', false, false, true],
  ['x.y^/z', false, false, true],
  ['x.y_/z', false, true, true],
  ['x.y`/z', false, false, false],
  ['x.y{/z', false, false, true],
  ['x.y}/z', false, false, true],
  ['x.y~/z', false, true, true],
  ['x.y/z!', false, false, true],
  ['x.y/z"', false, false, false],
  ['x.y/z#', false, false, true],
  ['x.y/z$', false, false, true],
  ['x.y/z%', false, false, true],
  ['x.y/z&', false, false, true],
  ["x.y/z'", false, false, false],
  ['x.y/z(', false, false, true],
  ['x.y/z)', false, false, true],
  ['x.y/z*', false, false, false],
  ['x.y/z+', false, true, true],
  ['x.y/z,', false, false, true],
  ['x.y/z-', true, true, true],
  ['x.y/z.t', true, true, true],
  ['x.y/z/t', true, true, true],
  ['x.y/z:', false, false, false],
  ['x.y/z;', false, false, false],
  ['x.y/z<', false, false, false],
  ['x.y/z=', false, false, true],
  ['x.y/z>', false, false, false],
  ['x.y/z?', false, false, false],
  ['x.y/z@', false, false, true],
  ['x.y/z[', false, false, true],
  ['x.y/z\\', false, false, false],
  ['x.y/z]', false, false, true],
  ['x.y/z^', false, false, true],
  ['x.y/z_', true, true, true],
  ['x.y/z`', false, false, false],
  ['x.y/z{', false, false, true],
  ['x.y/z}', false, false, true],
  ['x.y/z~', true, true, true],
  ['x.y/x.foo', true, true, true],
  ['x.y/aux.foo', false, false, false],
  ['x.y/prn', false, false, false],
  ['x.y/prn2', true, true, true],
  ['x.y/com', true, true, true],
  ['x.y/com1', false, false, false],
  ['x.y/com1.txt', false, false, false],
  ['x.y/calm1', true, true, true],
  ['x.y/z~0', false, false, true],
  ['x.y/z~09', false, false, true],
  ['x.y/z09', true, true, true],
  ['x.y/z09~', true, true, true],
  ['x.y/z09~09z', true, true, true],
  ['x.y/z09~09z~09', false, false, true],
  ['github.com/!123/logrus', false, false, true],
  ['github.com/user/unicode/испытание', false, false, true],
  ['../x', false, false, false],
  ['./y', false, false, false],
  ['x:y', false, false, false],
  ['\\temp\\foo', false, false, false],
  ['.gitignore', false, true, true],
  ['.github/ISSUE_TEMPLATE', false, true, true],
  ['x☺y', false, false, false],
];

describe('checkModulePath / checkImportPath / checkFilePath (x/mod checkPathTests)', () => {
  for (const [path, moduleOK, importOK, fileOK] of X_MOD_PATHS) {
    it(JSON.stringify(path), () => {
      assert.equal(checkModulePath(path) === undefined, moduleOK, 'module path');
      assert.equal(checkImportPath(path) === undefined, importOK, 'import path');
      assert.equal(checkFilePath(path) === undefined, fileOK, 'file path');
    });
  }
});

describe('checkModulePath reasons', () => {
  const cases: readonly (readonly [string, string])[] = [
    ['', 'empty string'],
    ['-x.y/z', 'leading dash'],
    ['x.y//z', 'double slash'],
    ['x.y/z/', 'trailing slash'],
    ['/x.y', 'empty path element'],
    ['x.y/..', 'invalid path element ".."'],
    ['x.y/.z', 'leading dot in path element'],
    ['x.y/z.', 'trailing dot in path element'],
    ['x.y/z z', "invalid char ' '"],
    ['x.y/é', "invalid char 'é'"],
    ['x.y/NUL', '"NUL" disallowed as path element component on Windows'],
    ['x.y/GIT~1', 'trailing tilde and digits in path element'],
    ['x.y/GIT~1.d', 'trailing tilde and digits in path element'],
    ['localhost/z', 'missing dot in first path element'],
    ['x_y.z/w', "invalid char '_' in first path element"],
    ['Example.com', "invalid char 'E' in first path element"],
    ['x.y/z/v1', 'invalid version'],
    ['x.y/z/v02', 'invalid version'],
    ['x.y/z/v2.1', 'invalid version'],
    [`x.y/${LONE_SURROGATE}`, 'invalid UTF-8'],
  ];
  for (const [path, reason] of cases) {
    it(`${JSON.stringify(path)}: ${reason}`, () => assert.equal(checkModulePath(path), reason));
  }
  it('accepts upper case, tildes without digits and major suffixes after the first element', () => {
    for (
      const path of [
        'github.com/Azure/azure-sdk',
        'x.y/a~b',
        'x.y/a~1b',
        'x.y/z~',
        'x.y/z/v2',
        'x.y/z/v10',
        'x.y/v2',
        'x.y/v1x',
      ]
    ) {
      assert.equal(checkModulePath(path), undefined, path);
    }
  });
});

describe('checkImportPath', () => {
  it('allows + and leading dots in elements, unlike module paths', () => {
    assert.equal(checkImportPath('x.y/c++'), undefined);
    assert.equal(checkImportPath('x.y/.hidden'), undefined);
    assert.equal(checkModulePath('x.y/.hidden'), 'leading dot in path element');
  });
  it('refuses Windows short names and leading dashes', () => {
    assert.equal(checkImportPath('x/GIT~12'), 'trailing tilde and digits in path element');
    assert.equal(checkImportPath('-x'), 'leading dash');
  });
});

describe('checkFilePath', () => {
  const valid = [
    'go.mod',
    'a/b/c.go',
    '-leading-dash',
    'dir/-x',
    '.github/workflows/ci.yml',
    'trailing space ',
    'GIT~1/config',
    'COM0',
    'LPT10',
    'aux_test.go',
    'auxiliary.go',
    'CONSOLE',
    'résumé.txt',
    'ǅ.go',
    '日本語/ファイル.go',
    'a!#$%&()+,-.=@[]^_{}~ z',
  ];
  for (const path of valid) {
    it(`accepts ${JSON.stringify(path)}`, () => assert.equal(checkFilePath(path), undefined));
  }
  const invalid: readonly (readonly [string, string])[] = [
    ['', 'empty string'],
    ['a;b', "invalid char ';'"],
    ['a/b.', 'trailing dot in path element'],
    ['a/...', 'invalid path element "..."'],
    ['a/./b', 'invalid path element "."'],
    ['/abs', 'empty path element'],
    ['a/', 'trailing slash'],
    ['a//b', 'double slash'],
    ['aux.go', '"aux" disallowed as path element component on Windows'],
    ['Con', '"Con" disallowed as path element component on Windows'],
    ['nul.tar.gz', '"nul" disallowed as path element component on Windows'],
    ['dir/lpt9.txt', '"lpt9" disallowed as path element component on Windows'],
    ['tab\there', "invalid char '\\t'"],
    ['nl\n', "invalid char '\\n'"],
    ['del\x7f', "invalid char '\\x7f'"],
    ['a|b', "invalid char '|'"],
    ['digit٣', "invalid char '٣'"],
    ['e\u0301', "invalid char '\u0301'"],
    ['nbsp\u00a0', "invalid char '\\u00a0'"], // Go's %q escapes a space other than ASCII's
    ['emoji😀', "invalid char '😀'"],
    ['sym€', "invalid char '€'"],
    ['rtl\u202eog.go', "invalid char '\\u202e'"],
    [LONE_SURROGATE, 'invalid UTF-8'],
    [`a${'\uD800'}b`, 'invalid UTF-8'],
  ];
  for (const [path, reason] of invalid) {
    it(`refuses ${JSON.stringify(path)}: ${reason}`, () => assert.equal(checkFilePath(path), reason));
  }
  it('does not mistake Unicode case folding for a Windows name (K is a Kelvin sign, not ASCII)', () => {
    assert.equal(checkFilePath('\u212Aon'), undefined);
  });
});

describe('checkFileElement', () => {
  it('checks one element: versions and branch names', () => {
    assert.equal(checkFileElement('v1.2.3'), undefined);
    assert.equal(checkFileElement('-x'), undefined);
    assert.equal(checkFileElement('feature/x'), "invalid char '/'");
    assert.equal(checkFileElement(''), 'empty path element');
    assert.equal(checkFileElement('..'), 'invalid path element ".."');
    assert.equal(checkFileElement('x.'), 'trailing dot in path element');
    assert.equal(checkFileElement(`v${LONE_SURROGATE}`), 'invalid UTF-8');
  });
});

describe('splitPathVersion', () => {
  const cases: readonly (readonly [string, string, string] | readonly [string, undefined])[] = [
    ['x.y/z', 'x.y/z', ''],
    ['x.y/z/v2', 'x.y/z', '/v2'],
    ['x.y/z/v3', 'x.y/z', '/v3'],
    ['x.y/z/v10', 'x.y/z', '/v10'],
    ['x.y/v', 'x.y/v', ''],
    ['x.y/v2', 'x.y', '/v2'],
    ['x.y/zv2', 'x.y/zv2', ''],
    ['x.y/z/2', 'x.y/z/2', ''],
    ['v2', 'v2', ''],
    ['/v2', '', '/v2'],
    ['gopkg.in/yaml.v2', 'gopkg.in/yaml.v2', ''],
    ['x.y/z/v0', undefined],
    ['x.y/z/v1', undefined],
    ['x.y/z/v01', undefined],
    ['x.y/z/v2.0', undefined],
    ['x.y/z/v.2', undefined],
  ];
  for (const [path, prefix, pathMajor] of cases) {
    it(JSON.stringify(path), () => {
      assert.deepEqual(splitPathVersion(path), prefix === undefined ? undefined : { prefix, pathMajor });
    });
  }
  it('splits every x/mod test path into parts that add up to it', () => {
    for (const [path] of X_MOD_PATHS) {
      const split = splitPathVersion(path);
      if (split !== undefined) assert.equal(split.prefix + split.pathMajor, path);
    }
  });
});

describe('checkPathMajor (x/mod TestCheck and TestMatchPathMajor, /vN cases)', () => {
  const cases: readonly (readonly [string, string, boolean])[] = [
    ['v0.8.0', '', true],
    ['v1.0.0', '', true],
    ['v2.0.0', '', false],
    ['v2.1.5', '', false],
    ['v3.0.0', '', false],
    ['v1.0.0', '/v2', false],
    ['v2.0.0', '/v2', true],
    ['v2.1.5', '/v2', true],
    ['v3.0.0', '/v2', false],
    ['v0.0.0', '/v2', false],
    ['v17.0.0', '', false],
    ['v17.0.0+incompatible', '', true],
    ['v2.0.0+incompatible', '/v2', true],
    ['v3.0.0+incompatible', '/v2', false],
    ['v0.0.0-20190510104115-cbcb75029529', '', true],
    ['v2.0.0-20190510104115-cbcb75029529', '/v2', true],
    ['not-a-version', '', false],
    ['v2.0.0', 'v2', false],
  ];
  for (const [v, pathMajor, ok] of cases) {
    it(`${v} with ${JSON.stringify(pathMajor)}`, () => assert.equal(checkPathMajor(v, pathMajor), ok));
  }
});

describe('checkFilePath over many elements', () => {
  it('answers as its elements do, one at a time (the one-scan shortcut changes no verdict)', () => {
    const random = seededRandom(31);
    const pieces = [
      'a',
      'Z',
      '0',
      '.',
      '..',
      '-',
      '_',
      '~',
      ' ',
      'con',
      'NUL',
      'com1',
      'com10',
      'lpt9',
      'aux.',
      'é',
      ';',
      '!',
      '[',
      ']',
      '{',
      '^',
      '+',
      'x.',
    ];
    const pick = () => pieces[Math.floor(random() * pieces.length)]!;
    for (let i = 0; i < 5000; i++) {
      const elements = Array.from(
        { length: 1 + Math.floor(random() * 4) },
        () => Array.from({ length: 1 + Math.floor(random() * 3) }, pick).join(''),
      );
      const path = elements.join('/');
      const expected = elements.map(checkFileElement).find((problem) => problem !== undefined);
      assert.equal(checkFilePath(path), expected, JSON.stringify(path));
    }
  });
});
