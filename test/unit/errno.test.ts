import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isAbsence, isResourceExhaustion } from '../../lib/common/errors.ts';

const errno = (code: string) => Object.assign(new Error(`${code}: something`), { code });

test('errno codes: out of resources, or a file that is not there', () => {
  for (const code of ['EMFILE', 'ENFILE', 'EAGAIN', 'ENOMEM']) assert.equal(isResourceExhaustion(errno(code)), true, code);
  for (const value of [errno('ENOENT'), errno('EACCES'), new Error('EMFILE'), { code: 'EMFILE' }, undefined, null]) assert.equal(isResourceExhaustion(value), false);
  assert.equal(isAbsence(errno('ENOENT')), true);
  assert.equal(isAbsence(errno('ENOTDIR')), true);
  assert.equal(isAbsence(errno('EMFILE')), false);
  assert.equal(isAbsence(undefined), false);
});
