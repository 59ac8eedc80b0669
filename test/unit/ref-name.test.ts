/**
 * Which request-derived strings may be looked up as git ref names (lib/git/ref-name.ts): names git
 * accepts pass; revision syntax, option look-alikes and names git refuses do not.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { couldBeRefName } from '../../lib/git/ref-name.ts';

test('names git accepts for branches and tags pass', () => {
  for (
    const name of [
      'main',
      'v1.0.0',
      'sub/dir/v2.1.0-rc.1+meta',
      'HEAD',
      'feature_x',
      'release-1',
      'a.b',
      'x@y',
      'deadbeef12',
    ]
  ) {
    assert.equal(couldBeRefName(name), true, name);
  }
});

test('revision syntax, option look-alikes and names git refuses do not', () => {
  const refused = [
    '',
    '@',
    'HEAD~1',
    'v1.0.0^{tree}',
    'v1.0.0^',
    '@{-1}',
    'main@{1}',
    ':/text',
    'HEAD:go.mod',
    'a..b',
    'v1...v2',
    '--output=/tmp/x',
    '-c',
    '--upload-pack=touch',
    'sub/-x',
    'x y',
    'x\ty',
    'a\nb',
    'nul\0',
    'del\x7f',
    'star*',
    'what?',
    '[abc]',
    'back\\slash',
    '.hidden',
    'sub/.hidden',
    'x.lock',
    'sub/x.lock/y',
    'ends.',
    'a//b',
    '/lead',
    'trail/',
  ];
  for (const name of refused) assert.equal(couldBeRefName(name), false, JSON.stringify(name));
});
