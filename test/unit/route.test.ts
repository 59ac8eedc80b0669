/**
 * Request paths to routes (lib/http/route.ts): instance-wide module requests, percent- and
 * case-encoding undone in that order, GitLab's project and group endpoints, service endpoints, and
 * one-line 400s for malformed requests.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProxyError } from '../../lib/common/errors.ts';
import { parseRoute } from '../../lib/http/route.ts';

const instance = { kind: 'instance' } as const;

function rejects(path: string): void {
  assert.throws(
    () => parseRoute(path),
    (error: unknown) => error instanceof ProxyError && error.kind === 'bad-request',
    path,
  );
}

test('instance-wide module requests', () => {
  assert.deepEqual(parseRoute('/go.localhost/g/p/@v/list'), {
    kind: 'module',
    scope: instance,
    modulePath: 'go.localhost/g/p',
    op: 'list',
    version: '',
  });
  assert.deepEqual(parseRoute('/go.localhost/g/p/@latest'), {
    kind: 'module',
    scope: instance,
    modulePath: 'go.localhost/g/p',
    op: 'latest',
    version: '',
  });
  for (const op of ['info', 'mod', 'zip'] as const) {
    assert.deepEqual(parseRoute(`/go.localhost/g/p/@v/v1.2.3.${op}`), {
      kind: 'module',
      scope: instance,
      modulePath: 'go.localhost/g/p',
      op,
      version: 'v1.2.3',
    });
  }
});

test('case encoding arrives percent-encoded and is undone after decoding', () => {
  const route = parseRoute('/go.localhost/%21my%21lib/@v/%21main.info');
  assert.equal(route.kind, 'module');
  assert.equal(route.kind === 'module' && route.modulePath, 'go.localhost/MyLib');
  assert.equal(route.kind === 'module' && route.version, 'Main');
  const plus = parseRoute('/go.localhost/g/p/@v/v2.0.0+incompatible.zip');
  assert.equal(plus.kind === 'module' && plus.version, 'v2.0.0+incompatible');
});

test('GitLab project and group endpoints', () => {
  assert.deepEqual(parseRoute('/api/v4/projects/7/packages/go/go.localhost/g/p/@v/list'), {
    kind: 'module',
    scope: { kind: 'project', id: '7' },
    modulePath: 'go.localhost/g/p',
    op: 'list',
    version: '',
  });
  assert.deepEqual(parseRoute('/api/v4/projects/g%2Fsub%2Fp/packages/go/go.localhost/g/sub/p/@v/v1.0.0.mod'), {
    kind: 'module',
    scope: { kind: 'project', id: 'g/sub/p' },
    modulePath: 'go.localhost/g/sub/p',
    op: 'mod',
    version: 'v1.0.0',
  });
  assert.deepEqual(parseRoute('/api/v4/groups/g/-/packages/go/go.localhost/g/p/@latest'), {
    kind: 'module',
    scope: { kind: 'group', id: 'g' },
    modulePath: 'go.localhost/g/p',
    op: 'latest',
    version: '',
  });
});

test('service endpoints and paths that are not ours', () => {
  assert.deepEqual(parseRoute('/-/health'), { kind: 'health' });
  assert.deepEqual(parseRoute('/-/ready'), { kind: 'ready' });
  assert.deepEqual(parseRoute('/metrics'), { kind: 'metrics' });
  assert.deepEqual(parseRoute('/-/hooks/push'), { kind: 'hook' });
  assert.deepEqual(parseRoute('/sumdb/sum.golang.org/supported'), { kind: 'sumdb', path: 'sum.golang.org/supported' });
  assert.deepEqual(parseRoute('/go.localhost/g/p'), { kind: 'other', path: '/go.localhost/g/p' });
  assert.deepEqual(parseRoute('/api/v4/projects/7/issues'), { kind: 'other', path: '/api/v4/projects/7/issues' });
  assert.deepEqual(parseRoute('/api/v4/users'), { kind: 'other', path: '/api/v4/users' });
});

test('malformed requests are 400s with a reason', () => {
  rejects('/go.localhost/%ZZ/@v/list'); // bad percent-encoding
  rejects('/go.localhost/%C3%28/@v/list'); // not UTF-8
  rejects('/go.localhost/a%00b/@v/list'); // NUL
  rejects('/go.localhost/Upper/@v/list'); // upper case must be !-encoded
  rejects('/go.localhost/%21/@v/list'); // ! not followed by a letter
  rejects('/go.localhost/../x/@v/list');
  rejects('/go.localhost//x/@v/list');
  rejects('/localhost/x/@v/list'); // first element needs a dot
  rejects('/go.localhost/x/@v/v1.0.0.tar');
  rejects('/go.localhost/x/@v/.info');
  rejects('/go.localhost/x/@v/a%2Fb.info'); // a version is one path element
  rejects('/api/v4/projects/../packages/go/go.localhost/x/@v/list');
  rejects('/api/v4/projects/7/packages/go/go.localhost/x');
  rejects(`/${'a'.repeat(3000)}`);
  rejects('relative');
});

test('web pages: the exact root and paths below /-/, which no module path can start with', () => {
  assert.deepEqual(parseRoute('/'), { kind: 'page', page: { page: 'home' } });
  assert.deepEqual(parseRoute('/-/catalog'), { kind: 'page', page: { page: 'catalog' } });
  assert.deepEqual(parseRoute('/-/upstream'), { kind: 'page', page: { page: 'upstream' } });
  assert.deepEqual(parseRoute('/-/style.css'), { kind: 'page', page: { page: 'style' } });
  assert.deepEqual(parseRoute('/-/modules/go.localhost/Acme/x'), {
    kind: 'page',
    page: { page: 'module', modulePath: 'go.localhost/Acme/x' },
  });
  assert.deepEqual(parseRoute('/-/modules/go.localhost/x/v2/@v/v2.0.0%2Bincompatible'), {
    kind: 'page',
    page: { page: 'version', modulePath: 'go.localhost/x/v2', version: 'v2.0.0+incompatible' },
  });
  assert.deepEqual(parseRoute('/-/other'), { kind: 'other', path: '/-/other' });
  assert.deepEqual(parseRoute('/-/modules'), { kind: 'other', path: '/-/modules' });
  rejects('/-/modules/go.localhost/../x');
  rejects('/-/modules/go.localhost/x/@v/');
  rejects('/-/modules/go.localhost/x/@v/a%2Fb');
  rejects('/-/modules/%ZZ');
  // Quoted as Go's %q does, as every refusal: no raw bidirectional character reaches a terminal.
  assert.throws(() => parseRoute('/-/files/go.localhost/a%E2%80%AEb/@v/v1.0.0/x'), (error: Error) => {
    assert.match(error.message, /"go\.localhost\/a\\u202eb"/);
    return true;
  });
});
