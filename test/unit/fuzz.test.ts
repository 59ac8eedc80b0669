/**
 * Seeded fuzzing (issue #7) with a small PRNG and no extra dependency: random and mutated request
 * paths through the path matcher, case decoding, version parsing and ref-name check, then through
 * the whole server in-process over loopback. Properties: no exception other than a 400
 * `ProxyError`, round trips hold, no 5xx, and no git process for a request the matcher refuses.
 *
 * Bounded in count and time. `FUZZ_SEED=<n>` replays a run; every failure message names the seed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ProxyError } from '../../lib/common/errors.ts';
import { escapePath, escapeVersion, unescapePath, unescapeVersion } from '../../lib/modules/escape.ts';
import { startedChildCount } from '../../lib/git/children.ts';
import { couldBeRefName } from '../../lib/git/ref-name.ts';
import { checkFileElement, checkModulePath } from '../../lib/modules/module-path.ts';
import { isPseudoVersion, pseudoVersionBase, pseudoVersionRev, pseudoVersionTime } from '../../lib/modules/pseudo.ts';
import { parseRoute, type Route } from '../../lib/http/route.ts';
import * as semver from '../../lib/modules/semver.ts';
import { createRepo } from '../support/git-fixture.ts';
import { startProxy, type RunningProxy } from '../support/proxy-server.ts';
import { rawGet, sendRaw } from '../support/raw-http.ts';
import { seededRandom } from '../support/random.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20_240_607);
const ITERATIONS = 20_000;
const REQUESTS = 400;
const TIME_BUDGET_MS = 20_000;

/** Pieces that path parsers trip over, plus plain ones that make valid paths likely. */
const TOKENS = [
  '/', '/', '/', '@v/', '/@v/', '@latest', 'list', '.info', '.mod', '.zip', '..', '.', '%2e', '%2E', '%2f', '%2F', '%5c', '\\',
  '%00', '%', '%ff', '%c0%af', '%ed%a0%80', '%21', '!', '!a', '!!', 'A', 'v1.0.0', 'v1', 'v2', '/v2', 'v0.0.0-20230102030405-0123456789ab',
  '+incompatible', '-pre', '-', '--', '--output=', '-c', '~1', '^{}', '@{-1}', ':', 'go.localhost', 'group', 'app', 'sub',
  'api/v4/projects/', '7', '/packages/go/', 'api/v4/groups/', '/-/packages/go/', 'é', '\u{1F600}', ' ', '?', '#', ';', '=', '&',
  'HEAD', 'main', '0123abcd', 'x', 'y.z', '_', '~', 'sumdb/', '-/health',
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
function randomPath(random: () => number): string {
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
function routeOf(path: string, context: string): Route | ProxyError {
  try {
    return parseRoute(path);
  } catch (error) {
    assert.ok(error instanceof ProxyError && error.kind === 'bad-request', `${context}: threw ${String(error)}`);
    assert.doesNotMatch(error.message, /[\r\n]/, context);
    return error;
  }
}

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
      if (couldBeRefName(v)) assert.doesNotMatch(v, /^-|\.\.|@\{|[\x00-\x20\x7f~^:?*[\\]/, context);
    }
    for (let i = 0; i + 2 < versions.length; i += 3) {
      const [a, b, c] = versions.slice(i, i + 3) as [string, string, string];
      assert.equal(Math.sign(semver.compare(a, b)) + Math.sign(semver.compare(b, a)), 0, `${a} ${b}`);
      if (semver.compare(a, b) <= 0 && semver.compare(b, c) <= 0) assert.ok(semver.compare(a, c) <= 0, `${a} ${b} ${c}`);
    }
  });

  describe('the whole server', () => {
    let root: string;
    let proxy: RunningProxy;

    before(async () => {
      root = await makeTempDir('fuzz');
      const repo = await createRepo(root, 'group/app');
      await repo.commit({ 'go.mod': 'module go.localhost/group/app\n', 'a.go': 'package app\n' }, { date: '2023-01-02T03:04:05Z' });
      await repo.tag('v1.0.0');
      await repo.commit({ 'sub/go.mod': 'module go.localhost/group/app/sub\n', 'sub/s.go': 'package sub\n' }, { date: '2023-02-02T03:04:05Z' });
      await repo.tag('sub/v0.1.0');
      proxy = await startProxy({ repos: root, projects: [{ path: 'group/app', id: 7 }] }, { timeouts: {} });
    });

    after(async () => {
      await proxy?.close();
      await removeDir(root);
    });

    test('no 5xx, and no git process for a path the matcher refuses', async () => {
      const random = seededRandom(SEED + 3);
      const port = Number(new URL(proxy.url).port);
      const deadline = Date.now() + TIME_BUDGET_MS;
      let refused = 0;
      for (let i = 0; i < REQUESTS && Date.now() < deadline; i++) {
        const path = randomPath(random);
        const context = `seed ${SEED + 3} #${i} ${JSON.stringify(path)}`;
        const before = startedChildCount();
        const response = await sendRaw(port, rawGet(Buffer.from(path, 'utf8').toString('latin1'), random() < 0.2 ? 'HEAD' : 'GET'));
        assert.ok(response.status >= 200 && response.status < 500, `${context}: status ${response.status} ${response.body.toString().slice(0, 200)}`);
        // What the handler matches: the target as Node hands it over (bytes as latin1), without the query.
        const route = routeOf(Buffer.from(path, 'utf8').toString('latin1').split('?')[0] ?? '', context);
        if (route instanceof ProxyError) {
          refused++;
          assert.equal(response.status, 400, context);
          assert.equal(startedChildCount(), before, `${context}: git started for a refused path`);
        }
      }
      assert.ok(refused > 0, 'no refused path was tried');
    });
  });
});
