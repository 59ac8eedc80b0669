/**
 * Request paths for seeded fuzzing: valid module paths mutated a few times, or strings of tokens
 * that path parsers trip over, and `parseRoute`'s verdict on each. Shared by the parser fuzzing
 * (unit/fuzz.test.ts) and the whole-server fuzzing (e2e/fuzz-server.test.ts).
 */
import assert from 'node:assert/strict';
import { ProxyError } from '../../lib/common/errors.ts';
import { parseRoute, type Route } from '../../lib/http/route.ts';

/** `FUZZ_SEED=<n>` replays a run; every failure message names the seed. */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20_240_607);

/** Pieces that path parsers trip over, plus plain ones that make valid paths likely. */
const TOKENS = [
  '/',
  '/',
  '/',
  '@v/',
  '/@v/',
  '@latest',
  'list',
  '.info',
  '.mod',
  '.zip',
  '..',
  '.',
  '%2e',
  '%2E',
  '%2f',
  '%2F',
  '%5c',
  '\\',
  '%00',
  '%',
  '%ff',
  '%c0%af',
  '%ed%a0%80',
  '%21',
  '!',
  '!a',
  '!!',
  'A',
  'v1.0.0',
  'v1',
  'v2',
  '/v2',
  'v0.0.0-20230102030405-0123456789ab',
  '+incompatible',
  '-pre',
  '-',
  '--',
  '--output=',
  '-c',
  '~1',
  '^{}',
  '@{-1}',
  ':',
  'go.localhost',
  'group',
  'app',
  'sub',
  'api/v4/projects/',
  '7',
  '/packages/go/',
  'api/v4/groups/',
  '/-/packages/go/',
  'é',
  '\u{1F600}',
  ' ',
  '?',
  '#',
  ';',
  '=',
  '&',
  'HEAD',
  'main',
  '0123abcd',
  'x',
  'y.z',
  '_',
  '~',
  'sumdb/',
  '-/health',
];
const VALID_PATHS = [
  '/go.localhost/group/app/@v/list',
  '/go.localhost/group/app/@v/v1.0.0.info',
  '/go.localhost/group/app/@v/v1.0.0.mod',
  '/go.localhost/group/app/@v/v1.0.0.zip',
  '/go.localhost/group/app/@latest',
  '/go.localhost/group/app/sub/@v/list',
  '/go.localhost/group/app/v2/@v/v2.0.0.info',
  '/api/v4/projects/7/packages/go/go.localhost/group/app/@v/main.info',
  '/api/v4/groups/group/-/packages/go/go.localhost/group/app/@v/!h!e!a!d.info',
];

/** A request path: a valid one mutated a few times, or tokens strung together. */
export function randomPath(random: () => number): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  if (random() < 0.5) {
    let path = pick(VALID_PATHS);
    for (let edits = 1 + Math.floor(random() * 3); edits > 0; edits--) {
      const at = Math.floor(random() * (path.length + 1));
      const cut = random() < 0.5 ? Math.floor(random() * 4) : 0;
      path = path.slice(0, at) + (random() < 0.8 ? pick(TOKENS) : '') + path.slice(at + cut);
    }
    return path;
  }
  let path = '/';
  for (let length = 1 + Math.floor(random() * 12); length > 0; length--) path += pick(TOKENS);
  return path;
}

/** `parseRoute`'s verdict: the route, or the 400 it throws; anything else thrown fails the test. */
export function routeOf(path: string, context: string): Route | ProxyError {
  try {
    return parseRoute(path);
  } catch (error) {
    assert.ok(error instanceof ProxyError && error.kind === 'bad-request', `${context}: threw ${String(error)}`);
    assert.doesNotMatch(error.message, /[\r\n]/, context);
    return error;
  }
}
