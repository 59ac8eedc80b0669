/**
 * Hostile input over real HTTP (issue #7): traversal in every position, over-long paths and headers,
 * bad `!` escapes, non-UTF-8, odd methods, and option or revision syntax in versions and paths. Each
 * gets a 4xx with a one-line reason, and no git process is started for it: not a short-lived
 * command and not the repository's long-lived object reader either (counted by `startedChildCount`).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startedChildCount } from '../../lib/git/children.ts';
import { createRepo } from '../support/git-fixture.ts';
import { type RunningProxy, startProxy } from '../support/proxy-server.ts';
import { rawGet, type RawResponse, sendRaw } from '../support/raw-http.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';

const MODULE = 'go.localhost/group/app';
const V = `/${MODULE}/@v`;
const PROJECT_API = '/api/v4/projects/7/packages/go';

/** [request target, status]; the target is sent byte for byte (latin1). */
const TRAVERSAL: Array<[string, number]> = [
  ['/../../etc/passwd/@v/list', 400],
  [`/go.localhost/group/../app/@v/list`, 400],
  [`/go.localhost/group/%2e%2e/app/@v/list`, 400],
  [`/go.localhost/group/%2E%2E%2fapp/@v/list`, 400],
  [`/go.localhost%2f..%2f..%2fetc/@v/list`, 400],
  [`${V}/..%2f..%2fv1.0.0.info`, 400],
  [`${V}/%2e%2e.info`, 400],
  [`${V}/..%2fgo.mod.mod`, 400],
  [`/go.localhost\\group\\app/@v/list`, 400],
  [`/go.localhost/group/app%5c..%5c..%5c/@v/list`, 400],
  [`${V}/v1.0.0%5c..%5cx.zip`, 400],
  [`/go.localhost/group/app%00/@v/list`, 400],
  [`${V}/v1.0.0%00.info`, 400],
  [`//go.localhost/group/app/@v/list`, 400],
  [`/go.localhost//group/app/@v/list`, 400],
  [`${V}//v1.0.0.info`, 400],
  ['/api/v4/projects/..%2f..%2fetc/packages/go/go.localhost/group/app/@v/list', 400],
  ['/api/v4/projects/%2e%2e/packages/go/go.localhost/group/app/@v/list', 400],
  ['/api/v4/groups/group%2f..%2f../-/packages/go/go.localhost/group/app/@v/list', 400],
  [`${PROJECT_API}/../../../../etc/@v/list`, 400],
  [`${PROJECT_API}/go.localhost/group/app/@v/%2e%2e%2f%2e%2e%2fv1.0.0.zip`, 400],
];

const ESCAPES_AND_ENCODINGS: Array<[string, number]> = [
  [`/go.localhost/group/App/@v/list`, 400], // upper case must arrive as !a
  [`/go.localhost/group/app!/@v/list`, 400], // trailing !
  [`/go.localhost/group/a!1pp/@v/list`, 400], // ! before a non-letter
  [`/go.localhost/group/a%21%21pp/@v/list`, 400],
  [`${V}/v1.0.0-R.info`, 400],
  [`${V}/v1.0.0-!.info`, 400],
  [`${V}/%ff%fe.info`, 400], // not UTF-8
  [`/go.localhost/group/%c0%afapp/@v/list`, 400], // over-long UTF-8 for /
  [`/go.localhost/group/%ed%a0%80/@v/list`, 400], // a lone surrogate
  [`${V}/v1.0.0%.info`, 400], // bad percent-encoding
  [`/go.localhost/group/\xff\xfe/@v/list`, 400], // raw non-UTF-8 bytes
  [`${V}/\x7f.info`, 400],
  [`${V}/%0a.info`, 400],
  [`/${'a'.repeat(3000)}.com/@v/list`, 400], // over-long path
  [`${V}/`, 400],
  [`${V}/v1.0.0.tar.gz`, 400],
];

const INJECTION: Array<[string, number]> = [
  [`${V}/--output=x.info`, 404],
  [`${V}/--output=%2ftmp%2fx.zip`, 400],
  [`${V}/-c.info`, 404],
  [`${V}/-c.mod`, 404],
  [`${V}/--upload-pack=touch.info`, 404],
  [`${V}/--end-of-options.zip`, 404],
  [`${V}/HEAD~1.info`, 400], // looks like a Windows short name: not a version the go command sends
  [`${V}/HEAD~1.zip`, 400],
  [`${V}/@.info`, 404],
  [`${V}/main.lock.info`, 404],
  [`${V}/v1.0.0^.mod`, 404],
  [`${V}/v1.0.0%5e%7btree%7d.info`, 404],
  [`${V}/v1.0.0^{tree}.info`, 404],
  [`${V}/@%7b-1%7d.info`, 404],
  [`${V}/main@%7b1%7d.info`, 404],
  [`${V}/:%2ftext.info`, 400],
  [`${V}/HEAD:go.mod.info`, 400],
  [`${V}/v1.0.0..main.info`, 404],
  [`/-c/@v/list`, 400],
  [`/--upload-pack=x.com/@v/list`, 400],
  [`/go.localhost/-c/@v/list`, 404],
  [`/go.localhost/group/--output=x/@v/list`, 400],
  ['/api/v4/projects/-c/packages/go/go.localhost/group/app/@v/list', 404],
];

const ODD_METHODS: Array<[method: string, status: number]> = [
  ['POST', 405],
  ['PUT', 405],
  ['DELETE', 405],
  ['PATCH', 405],
  ['OPTIONS', 405],
  ['TRACE', 405],
  ['PROPFIND', 405],
  ['CONNECT', 405],
  ['FROB', 405],
  ['G\x01T', 405],
];

describe('hostile input gets a one-line 4xx and starts no git', () => {
  let root: string;
  let proxy: RunningProxy;
  let port: number;

  before(async () => {
    root = await makeTempDir('hostile');
    const repo = await createRepo(root, 'group/app');
    await repo.commit({ 'go.mod': `module ${MODULE}\n`, 'app.go': 'package app\n' }, { date: '2023-01-02T03:04:05Z' });
    await repo.tag('v1.0.0');
    proxy = await startProxy({ repos: root, projects: [{ path: 'group/app', id: 7 }] }, { timeouts: {} });
    port = Number(new URL(proxy.url).port);
  });

  after(async () => {
    await proxy?.close();
    await removeDir(root);
  });

  /** Sends the request and checks status, one-line body and that no git child was started. */
  async function assertRefused(request: Buffer, status: number, label: string): Promise<RawResponse> {
    const started = startedChildCount();
    const response = await sendRaw(port, request);
    assert.equal(response.status, status, `${label}: ${response.raw.toString('latin1').slice(0, 300)}`);
    if (!label.startsWith('HEAD ')) assert.match(response.body.toString('utf8'), /^[^\n]+\n$/, `${label}: one line`);
    assert.equal(response.headers['content-type'], 'text/plain; charset=utf-8', label);
    assert.equal(startedChildCount(), started, `${label}: no git process`);
    return response;
  }

  /** Runs every case and reports all that fail at once. */
  async function assertAllRefused(
    cases: ReadonlyArray<[string, number]>,
    check: (target: string, status: number) => Promise<void>,
  ): Promise<void> {
    const failures: string[] = [];
    for (const [target, status] of cases) {
      await check(target, status).catch((error: Error) => failures.push(error.message.split('\n')[0] ?? ''));
    }
    assert.deepEqual(failures, []);
  }

  for (
    const [group, cases] of [
      ['path traversal', TRAVERSAL],
      ['escapes and encodings', ESCAPES_AND_ENCODINGS],
      ['option and revision injection', INJECTION],
    ] as const
  ) {
    test(group, async () => {
      await assertAllRefused(cases, async (target, status) => {
        for (const method of ['GET', 'HEAD']) {
          const label = `${method} ${JSON.stringify(target.slice(0, 120))}`;
          const response = await assertRefused(rawGet(target, method), status, label);
          if (method === 'HEAD') continue;
          if (status === 404) assert.match(response.body.toString(), /^not found: /, label);
          if (status === 400) assert.match(response.body.toString(), /^bad request: /, label);
        }
      });
    });
  }

  test("refusals quote names as Go's %q does: no raw bidirectional or invisible character reaches the client", async () => {
    const cases: Array<[string, string]> = [
      [
        '/go.localhost/a%E2%80%AEog.gz/@v/list',
        'bad request: invalid escaped module path "go.localhost/a\\u202eog.gz"',
      ],
      [`${V}/v1.0.0%E2%80%8B.info`, ''],
      [
        '/-/modules/go.localhost/x%E2%81%A6y',
        `bad request: malformed module path "go.localhost/x\\u2066y": invalid char '\\u2066'`,
      ],
      [
        `${V}/v1%E2%80%AE.bin`,
        `bad request: unknown file "v1\\u202e.bin": expected list, <version>.info, .mod or .zip`,
      ],
    ];
    for (const [target, line] of cases) {
      const response = await sendRaw(port, rawGet(target));
      const body = response.body.toString('utf8');
      assert.doesNotMatch(body, /[\u200b-\u200f\u202a-\u202e\u2066-\u2069]/u, target);
      if (line !== '') assert.equal(body, `${line}\n`, target);
    }
  });

  test('odd methods: 405 with Allow, on module paths and elsewhere', async () => {
    for (const [method, status] of ODD_METHODS) {
      for (const target of [`${V}/v1.0.0.zip`, `${V}/list`, '/']) {
        const label = `${JSON.stringify(method)} ${target}`;
        const response = await assertRefused(rawGet(target, method), status, label);
        assert.equal(response.headers.allow, 'GET, HEAD', label);
      }
    }
  });

  test('over-long request line and headers: 431', async () => {
    await assertRefused(rawGet(`${V}/${'v'.repeat(20_000)}.info`), 431, 'long request line');
    await assertRefused(rawGet(`${V}/list`, 'GET', `X-Padding: ${'x'.repeat(20_000)}\r\n`), 431, 'long header');
    const many = Array.from({ length: 2_000 }, (_, i) => `X-H${i}: ${'y'.repeat(8)}\r\n`).join('');
    await assertRefused(rawGet(`${V}/list`, 'GET', many), 431, 'many headers');
  });

  test('malformed HTTP: 400', async () => {
    await assertRefused(Buffer.from('GET /x HTTP/1.1\r\nHost: a\r\nBad Header\r\n\r\n'), 400, 'header without colon');
    await assertRefused(Buffer.from('GET /x\0y HTTP/1.1\r\nHost: a\r\n\r\n'), 400, 'NUL in request line');
    await assertRefused(Buffer.from('GET /x HTTP/9.9\r\nHost: a\r\n\r\n'), 400, 'unknown HTTP version');
    await assertRefused(
      Buffer.from('GET /x HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n'),
      400,
      'two lengths',
    );
    // Not even a method: the parser's verdict on a TLS ClientHello sent to the plain-HTTP port.
    await assertRefused(
      Buffer.from('\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03', 'latin1'),
      405,
      'TLS handshake on the HTTP port',
    );
  });

  test('a valid request does start git (the counter sees it), and gets its answer', async () => {
    const started = startedChildCount();
    const response = await sendRaw(port, rawGet(`${V}/v1.0.0.info`));
    assert.equal(response.status, 200, response.raw.toString());
    assert.ok(startedChildCount() > started);
  });
});
