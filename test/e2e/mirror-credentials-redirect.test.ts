/**
 * A mirror's credentials go to its remote's host and nowhere else (README "Serving repositories from
 * another git host": "never appear in …"), also when the remote answers with a redirect to another
 * origin, as a compromised host, an open redirect or anyone on the path of an `http://` remote can.
 *
 * Security review (third): fails today. git follows the redirect of the first request
 * (`http.followRedirects=initial`), asks for credentials for the new host, and askpass.sh answers
 * any prompt with the mirror's password.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { fetchAuth } from '../../lib/mirrors/credentials.ts';
import { fetchRemote, initMirror } from '../../lib/mirrors/fetch.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

test("a remote's redirect to another origin never gets the mirror's password", {
  todo: 'askpass answers every prompt; git follows the first redirect (mirrors/credentials.ts, fetch.ts)',
}, async () => {
  const root = await makeTempDir('mirror-credentials-redirect');
  const seen: string[] = [];
  // The other origin asks for credentials, as any HTTP server can.
  const other = createServer((req, res) => {
    seen.push(req.headers.authorization ?? 'none');
    if (req.headers.authorization === undefined) res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="x"' });
    else res.writeHead(404);
    res.end();
  });
  const otherPort = await listen(other);
  const remote = createServer((req, res) => {
    res.writeHead(302, { Location: `http://localhost:${otherPort}${req.url ?? '/'}` });
    res.end();
  });
  const remotePort = await listen(remote);
  try {
    const gitDir = join(root, 'mirror.git');
    await initMirror(gitDir);
    const auth = await fetchAuth({ username: 'mirror-bot', password: 'the-mirror-secret' });
    await assert.rejects(
      fetchRemote({
        gitDir,
        url: `http://127.0.0.1:${remotePort}/acme/lib.git`,
        auth,
        signal: AbortSignal.timeout(30_000),
      }),
    );
    const leaked = seen.filter((header) =>
      Buffer.from(header.replace(/^Basic /, ''), 'base64').toString().includes('the-mirror-secret')
    );
    assert.deepEqual(leaked, []);
  } finally {
    remote.closeAllConnections();
    other.closeAllConnections();
    await Promise.all([
      new Promise((resolve) => remote.close(resolve)),
      new Promise((resolve) => other.close(resolve)),
    ]);
    await removeDir(root);
  }
});
