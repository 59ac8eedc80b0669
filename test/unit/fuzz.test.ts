/**
 * Seeded fuzzing (issue #7) with a small PRNG and no extra dependency: random and mutated request
 * paths through the path matcher, case decoding, version parsing and ref-name check (the whole
 * server gets the same paths in e2e/fuzz-server.test.ts). Properties: no exception other than a 400
 * `ProxyError`, round trips hold.
 *
 * Bounded in count. `FUZZ_SEED=<n>` replays a run; every failure message names the seed.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProxyError } from '../../lib/common/errors.ts';
import { escapePath, escapeVersion, unescapePath, unescapeVersion } from '../../lib/modules/escape.ts';
import { couldBeRefName } from '../../lib/git/ref-name.ts';
import { checkFileElement, checkModulePath } from '../../lib/modules/module-path.ts';
import { isPseudoVersion, pseudoVersionBase, pseudoVersionRev, pseudoVersionTime } from '../../lib/modules/pseudo.ts';
import * as semver from '../../lib/modules/semver.ts';
import { FUZZ_SEED as SEED, randomPath, routeOf } from '../support/fuzz-paths.ts';
import { seededRandom } from '../support/random.ts';

const ITERATIONS = 20_000;

describe(`fuzz (seed ${SEED})`, () => {
  test('path matcher: a route with a valid module path and version, or a one-line 400', () => {
    const random = seededRandom(SEED);
    let modules = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const path = randomPath(random);
      const context = `seed ${SEED} #${i} ${JSON.stringify(path)}`;
      const route = routeOf(path, context);
      if (route instanceof ProxyError || route.kind !== 'module') continue;
      modules++;
      assert.equal(checkModulePath(route.modulePath), undefined, context);
      if (route.version !== '') assert.equal(checkFileElement(route.version), undefined, context);
      assert.ok(!route.modulePath.split('/').includes('..'), context);
    }
    assert.ok(modules > ITERATIONS / 50, `only ${modules} module routes: the generator has gone blind`);
  });

  test('case decoding: unescape is the exact inverse of escape', () => {
    const random = seededRandom(SEED + 1);
    for (let i = 0; i < ITERATIONS; i++) {
      const text = randomPath(random).slice(1);
      const context = `seed ${SEED + 1} #${i} ${JSON.stringify(text)}`;
      const path = unescapePath(text);
      if (path !== undefined) assert.equal(escapePath(path), text, context);
      const escaped = escapePath(text);
      if (escaped !== undefined) assert.equal(unescapePath(escaped), text, context);
      const element = text.replaceAll('/', '');
      const version = unescapeVersion(element);
      if (version !== undefined) assert.equal(escapeVersion(version), element, context);
    }
  });

  test('version parsing: canonical forms are fixed points, compare is an order, pseudo parts parse', () => {
    const random = seededRandom(SEED + 2);
    const versions: string[] = [];
    for (let i = 0; i < ITERATIONS; i++) {
      const raw = randomPath(random).replace(/^.*\//, '').replace(/\.(info|mod|zip)$/, '');
      const v = random() < 0.3 ? `v${raw}` : raw;
      const context = `seed ${SEED + 2} #${i} ${JSON.stringify(v)}`;
      const canonical = semver.canonical(v);
      assert.equal(semver.isValid(v), semver.parse(v) !== undefined, context);
      if (canonical !== '') {
        assert.equal(semver.canonical(canonical), canonical, context);
        assert.equal(semver.compare(v, canonical), 0, context);
        versions.push(v);
      }
      if (isPseudoVersion(v)) {
        assert.ok(semver.isValid(v), context);
        assert.match(pseudoVersionRev(v), /^[0-9A-Za-z]+$/, context);
        assert.match(pseudoVersionTime(v), /^[0-9]{14}$/, context);
        pseudoVersionBase(v);
      }
      // deno-lint-ignore no-control-regex -- control characters are what a ref name may not hold
      if (couldBeRefName(v)) assert.doesNotMatch(v, /^-|\.\.|@\{|[\x00-\x20\x7f~^:?*[\\]/, context);
    }
    for (let i = 0; i + 2 < versions.length; i += 3) {
      const [a, b, c] = versions.slice(i, i + 3) as [string, string, string];
      assert.equal(Math.sign(semver.compare(a, b)) + Math.sign(semver.compare(b, a)), 0, `${a} ${b}`);
      if (semver.compare(a, b) <= 0 && semver.compare(b, c) <= 0) {
        assert.ok(semver.compare(a, c) <= 0, `${a} ${b} ${c}`);
      }
    }
  });
});
