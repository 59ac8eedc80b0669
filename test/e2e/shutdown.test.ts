/**
 * Graceful shutdown: a response under way finishes when it can within the deadline; one that does
 * not is cut off at the deadline, git children are killed, and the owner is closed either way.
 */
import assert from 'node:assert/strict';
import { createServer, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { startGit } from '../../lib/git/run.ts';
import { liveChildCount } from '../../lib/git/children.ts';
import { Logger } from '../../lib/common/log.ts';
import { gracefulShutdown } from '../../lib/cli/shutdown.ts';
import { createTempRepo } from '../support/git-fixture.ts';
import { removeDir } from '../support/temp.ts';

const quiet = new Logger({ level: 'silent' });

async function serverWithPendingResponse(): Promise<
  { server: ReturnType<typeof createServer>; pending: Promise<ServerResponse>; reply: Promise<string> }
> {
  let hold!: (res: ServerResponse) => void;
  const pending = new Promise<ServerResponse>((resolve) => (hold = resolve));
  const server = createServer((_req, res) => {
    res.write('started ');
    hold(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const reply = new Promise<string>((resolve) => {
    request({ port, host: '127.0.0.1', agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve(`complete: ${body}`));
      res.on('error', () => resolve(`cut: ${body}`));
      res.on('aborted', () => resolve(`cut: ${body}`));
    }).end();
  });
  return { server, pending, reply };
}

test('an in-flight response that finishes within the deadline completes', async () => {
  const { server, pending, reply } = await serverWithPendingResponse();
  const res = await pending;
  let closed = false;
  const shutdown = gracefulShutdown({ server, close: async () => void (closed = true) }, 5000, quiet);
  setTimeout(() => res.end('and finished'), 50);
  assert.deepEqual(await shutdown, { forced: false });
  assert.equal(await reply, 'complete: started and finished');
  assert.equal(closed, true);
});

test('past the deadline the response is cut and every git child is killed', async () => {
  const { server, pending, reply } = await serverWithPendingResponse();
  await pending;
  const repo = await createTempRepo('shutdown');
  try {
    // A long-lived reader: it waits on stdin until killed.
    const child = startGit(repo.gitDir, ['cat-file', '--batch']);
    await new Promise((resolve) => child.once('spawn', resolve));
    assert.equal(child.exitCode, null);
    assert.ok(liveChildCount() >= 1);
    let closed = false;
    const started = Date.now();
    const result = await gracefulShutdown({ server, close: async () => void (closed = true) }, 200, quiet);
    assert.deepEqual(result, { forced: true });
    assert.ok(Date.now() - started >= 190);
    assert.equal(await reply, 'cut: started ');
    assert.equal(closed, true);
    assert.equal(child.signalCode, 'SIGKILL', 'the git child was killed');
    assert.equal(liveChildCount(), 0);
  } finally {
    await removeDir(repo.root);
  }
});
