import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { sendError } from '../../lib/http/respond.ts';

const errno = (code: string) => Object.assign(new Error(`${code}: something`), { code });

test('a server out of processes or descriptors answers 503 with Retry-After, and logs why; other errors are a 500', async () => {
  const logged: unknown[] = [];
  const errors = [errno('EMFILE'), errno('EACCES')];
  const server = createServer((req, res) => sendError(req, res, errors.shift(), (error) => logged.push(error)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const exhausted = await fetch(url);
    assert.equal(exhausted.status, 503);
    assert.equal(exhausted.headers.get('retry-after'), '1');
    assert.match(
      await exhausted.text(),
      /^unavailable: the server is out of processes or file descriptors, retry later\n$/,
    );
    const bug = await fetch(url);
    assert.equal(bug.status, 500);
    assert.equal(await bug.text(), 'internal server error\n');
    assert.equal(logged.length, 2);
  } finally {
    server.close();
  }
});
