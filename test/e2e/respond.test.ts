/**
 * lib/http/respond.ts's `sendError`: the one place an error kind becomes an HTTP status, its
 * headers (Allow, Retry-After) and a one-line body; anything that is not a `ProxyError` is a
 * generic 500 whose details go to the log only.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { ProxyError, type ErrorKind } from '../../lib/common/errors.ts';
import { GitBusyError } from '../../lib/git/limiter.ts';
import { sendError } from '../../lib/http/respond.ts';
import { rawGet } from '../support/http-get.ts';

const logged: unknown[] = [];
let thrown: unknown;
const server = createServer((req, res) => sendError(req, res, thrown, (error) => logged.push(error)));
let url = '';

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function answerTo(error: unknown) {
  thrown = error;
  return rawGet(url);
}

test('each kind answers its status with the reason as one line', async () => {
  const statuses = new Map<ErrorKind, number>([
    ['bad-request', 400], ['not-found', 404], ['gone', 410], ['busy', 503], ['rate-limited', 429],
    ['content-changed', 500], ['method-not-allowed', 405], ['range-not-satisfiable', 416],
  ]);
  for (const [kind, status] of statuses) {
    const answer = await answerTo(new ProxyError(kind, `${kind}: the reason\nsecond line`));
    assert.equal(answer.status, status, kind);
    assert.equal(answer.headers['content-type'], 'text/plain; charset=utf-8', kind);
    assert.equal(answer.body.toString(), `${kind}: the reason second line\n`, kind);
    assert.equal(answer.headers.allow, kind === 'method-not-allowed' ? 'GET, HEAD' : undefined, kind);
    assert.equal(answer.headers['retry-after'], undefined, kind);
  }
  assert.deepEqual(logged, []);
});

test('a busy error says when to retry', async () => {
  const answer = await answerTo(new GitBusyError(7));
  assert.equal(answer.status, 503);
  assert.equal(answer.headers['retry-after'], '7');
});

test('any other error is a generic 500, logged and not shown', async () => {
  const bug = new Error('/secret/path exploded');
  const answer = await answerTo(bug);
  assert.equal(answer.status, 500);
  assert.equal(answer.body.toString(), 'internal server error\n');
  assert.deepEqual(logged, [bug]);
});
