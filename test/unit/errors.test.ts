/**
 * common/errors.ts: errno codes told apart (out of resources, or absent), and a ProxyError being an
 * answer: its kind and one-line reason, with no stack trace captured.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gone, isAbsence, isResourceExhaustion, notFound, ProxyError } from '../../lib/common/errors.ts';

const errno = (code: string) => Object.assign(new Error(`${code}: something`), { code });

test('errno codes: out of resources, or a file that is not there', () => {
  for (const code of ['EMFILE', 'ENFILE', 'EAGAIN', 'ENOMEM']) {
    assert.equal(isResourceExhaustion(errno(code)), true, code);
  }
  for (const value of [errno('ENOENT'), errno('EACCES'), new Error('EMFILE'), { code: 'EMFILE' }, undefined, null]) {
    assert.equal(isResourceExhaustion(value), false);
  }
  assert.equal(isAbsence(errno('ENOENT')), true);
  assert.equal(isAbsence(errno('ENOTDIR')), true);
  assert.equal(isAbsence(errno('EMFILE')), false);
  assert.equal(isAbsence(undefined), false);
});

test('a ProxyError is an answer: kind and reason, no stack frames captured, the stack limit left as it was', () => {
  const limit = Error.stackTraceLimit;
  const error = notFound('no such module');
  assert.ok(error instanceof ProxyError);
  assert.equal(error.kind, 'not-found');
  assert.equal(error.message, 'not found: no such module');
  assert.equal(error.stack, 'ProxyError: not found: no such module');
  assert.equal(gone('retracted').kind, 'gone');
  assert.equal(Error.stackTraceLimit, limit);
  assert.match(new Error('a bug').stack ?? '', /\n {4}at /);
});
