/**
 * One owner per module path (issue #15, finding 1; issue #24, finding 1): public project `corp` and
 * private project `corp/internal`. The module path `…/corp/internal` belongs to `corp/internal` for
 * a caller who may read it; for anyone else `corp/internal` does not exist: they get, byte for byte,
 * what a server without it answers (compared with one), never what a token holder's downloads
 * pinned, and never `corp`'s own files at that path; nothing `corp` serves can pin a version of it.
 * The attacks of both issues are reproduced over HTTP.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, mock, test } from 'node:test';
import { hashToken } from '../../lib/access/auth.ts';
import type { ProxyOptions } from '../../lib/cli/config.ts';
import { logger } from '../../lib/common/log.ts';
import { createHandler } from '../../lib/index.ts';
import { FilePinStore } from '../../lib/pins/file-store.ts';
import { createRepo, type FixtureRepo } from '../support/git-fixture.ts';
import { type RunningProxy, startProxy } from '../support/proxy-server.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';

const HOST = 'go.localhost';
const SECRET = 'ggp_internal';
const INTERNAL = `${HOST}/corp/internal`;
const TOKEN = { 'private-token': SECRET };

const options = (repos: string): ProxyOptions => ({
  repos,
  projects: [
    { path: 'corp', visibility: 'public' },
    { path: 'corp/internal', visibility: 'private' },
  ],
  tokens: [{ name: 'insider', sha256: hashToken(SECRET), grants: ['corp/internal'] }],
});

/** Status, body and headers (but the date) of an answer, with `module` written as `MODULE`. */
async function answer(
  proxy: RunningProxy,
  path: string,
  module: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const response = await fetch(`${proxy.url}${path}`, { headers });
  const all = Object.fromEntries(
    [...response.headers].filter(([name]) => name !== 'date' && name !== 'content-length'),
  );
  return { status: response.status, headers: all, body: (await response.text()).replaceAll(module, 'MODULE') };
}

/** A go-get page request with the module host as `Host` (fetch cannot set one). */
function goGet(
  proxy: RunningProxy,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const { port } = new URL(proxy.url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: `${path}?go-get=1`, headers: { host: HOST, ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('one owner per module path: public corp, private corp/internal', () => {
  let root: string;
  let corp: FixtureRepo;
  let internal: FixtureRepo;
  let proxy: RunningProxy;
  let absent: RunningProxy;

  before(async () => {
    root = await makeTempDir('module-owner');
    corp = await createRepo(root, 'corp');
    await corp.commit({ 'go.mod': `module ${HOST}/corp\n`, 'c.go': 'package corp\n' }, {
      date: '2024-01-01T00:00:00Z',
    });
    await corp.tag('v1.0.0');
    internal = await createRepo(root, 'corp/internal');
    for (const [i, version] of ['v1.0.0', 'v1.1.0'].entries()) {
      await internal.commit({
        'go.mod': `module ${INTERNAL}\n`,
        'secret.go': `package internal\n\nconst Secret = ${i}\n`,
      }, { date: new Date(Date.UTC(2024, 1, 1 + i)) });
      await internal.tag(version);
    }
    proxy = await startProxy(options(root));
    // The same `corp`, and no `corp/internal`: what the hidden project must look like.
    absent = await startProxy({
      repos: join(root, 'none'),
      dataDir: join(root, '.data-absent'),
      projects: [{ path: 'corp', visibility: 'public', repo: corp.gitDir }],
    });
  });

  after(async () => {
    mock.restoreAll();
    await absent?.close();
    await proxy?.close();
    await removeDir(root);
  });

  test('after a token holder downloads, an anonymous caller gets exactly what a server without the project answers: list, latest, info, mod, zip', async () => {
    for (const version of ['v1.0.0', 'v1.1.0']) {
      assert.equal((await fetch(`${proxy.url}/${INTERNAL}/@v/${version}.mod`, { headers: TOKEN })).status, 200);
      assert.equal((await fetch(`${proxy.url}/${INTERNAL}/@v/${version}.zip`, { headers: TOKEN })).status, 200);
    }
    assert.equal(
      await (await fetch(`${proxy.url}/${INTERNAL}/@v/list`, { headers: TOKEN })).text(),
      'v1.0.0\nv1.1.0\n',
    );
    for (
      const file of [
        '@v/list',
        '@latest',
        '@v/v1.0.0.info',
        '@v/v1.1.0.info',
        '@v/v1.1.0.mod',
        '@v/v1.1.0.zip',
        'sub/@v/list',
      ]
    ) {
      const hidden = await answer(proxy, `/${INTERNAL}/${file}`, INTERNAL);
      assert.equal(hidden.status, 404, `${file}: ${hidden.body}`);
      assert.deepEqual(hidden, await answer(absent, `/${INTERNAL}/${file}`, INTERNAL), file);
    }
  });

  test("the parent project's scope does not reach the nested project's module path", async () => {
    const viaParent = await fetch(`${proxy.url}/api/v4/projects/corp/packages/go/${INTERNAL}/@v/list`, {
      headers: TOKEN,
    });
    assert.equal(viaParent.status, 404);
    const viaOwner = await fetch(`${proxy.url}/api/v4/projects/corp%2Finternal/packages/go/${INTERNAL}/@v/list`, {
      headers: TOKEN,
    });
    assert.equal(viaOwner.status, 200);
  });

  test("go-get: the nested project's paths have the page a server without it gives (the parent's) for a caller who may not read it; a token holder gets its own", async () => {
    for (const path of ['/corp/internal', '/corp/internal/pkg']) {
      const hidden = await goGet(proxy, path);
      assert.deepEqual(hidden, await goGet(absent, path), path);
      assert.match(hidden.body, new RegExp(`content="${HOST}/corp mod http://${HOST}"`));
      assert.match((await goGet(proxy, path, TOKEN)).body, new RegExp(`content="${INTERNAL} mod http://${HOST}"`));
    }
    assert.match((await goGet(proxy, '/corp/pkg')).body, new RegExp(`content="${HOST}/corp mod http://${HOST}"`));
  });

  test('a subdirectory module of the public parent cannot pin the private path (reverse poisoning); start-up warns of it once', async () => {
    await corp.commit({
      'internal/go.mod': `module ${INTERNAL}\n`,
      'internal/evil.go': 'package internal\n\nconst Secret = "evil"\n',
    }, { date: '2024-03-01T00:00:00Z' });
    await corp.tag('internal/v1.3.0');
    const poisoned = await fetch(`${proxy.url}/${INTERNAL}/@v/v1.3.0.mod`);
    assert.equal(poisoned.status, 404, 'an anonymous caller reaches nothing under the private path');
    await poisoned.arrayBuffer();

    await internal.commit({ 'go.mod': `module ${INTERNAL}\n`, 'secret.go': 'package internal\n\nconst Secret = 3\n' }, {
      date: '2024-03-02T00:00:00Z',
    });
    await internal.tag('v1.3.0');
    const own = await fetch(`${proxy.url}/${INTERNAL}/@v/v1.3.0.zip`, { headers: TOKEN });
    assert.equal(own.status, 200, "the owner's token holders get the owner's v1.3.0");
    await own.arrayBuffer();
    const info = (await (await fetch(`${proxy.url}/${INTERNAL}/@v/v1.3.0.info`, { headers: TOKEN })).json()) as {
      Origin: { Hash: string };
    };
    assert.equal(info.Origin.Hash, (await internal.git(['rev-parse', 'v1.3.0^{commit}'])).trim());

    const pins = FilePinStore.open(join(root, '.git-goproxy'));
    try {
      assert.equal((await pins.get('corp/internal', INTERNAL, 'v1.3.0'))?.commit, info.Origin.Hash);
      assert.equal(await pins.get('corp', INTERNAL, 'v1.3.0'), undefined);
    } finally {
      await pins.close();
    }

    const warnings: string[] = [];
    mock.method(logger, 'warn', (message: string) => warnings.push(message));
    const handler = createHandler({ ...options(root), dataDir: join(root, '.data-warn') });
    await handler.ready;
    await handler.close();
    mock.restoreAll();
    assert.deepEqual(warnings, [
      `project corp/internal shadows the module ${INTERNAL} in project corp (its directory internal/): that module path is served from corp/internal only`,
    ]);
  });
});

test('a nested project added by a reload is warned of as at start-up, once', async () => {
  const root = await makeTempDir('module-owner-reload');
  try {
    const outer = await createRepo(join(root, 'repos'), 'team');
    await outer.commit({ 'go.mod': `module ${HOST}/team\n`, 'sub/go.mod': `module ${HOST}/team/sub\n` }, {
      date: '2024-01-01T00:00:00Z',
    });
    await outer.tag('sub/v1.0.0');
    const inner = await createRepo(join(root, 'elsewhere'), 'sub');
    await inner.commit({ 'go.mod': `module ${HOST}/team/sub\n` }, { date: '2024-01-02T00:00:00Z' });
    const warnings: string[] = [];
    const base: ProxyOptions = { repos: join(root, 'repos'), dataDir: join(root, 'data'), logLevel: 'warn' };
    const handler = createHandler(base);
    try {
      await handler.ready;
      mock.method(logger, 'warn', (message: string) => warnings.push(message));
      const nested = {
        ...base,
        projects: [{ path: 'team/sub', repo: join(root, 'elsewhere/sub.git'), modulePath: `${HOST}/team/sub` }],
      };
      await handler.reload(nested);
      await handler.reload({ ...nested, defaultVisibility: 'public' });
      await handler.rescan();
    } finally {
      await handler.close();
      mock.restoreAll();
    }
    assert.deepEqual(warnings, [
      `project team/sub shadows the module ${HOST}/team/sub in project team (its directory sub/): that module path is served from team/sub only`,
    ]);
  } finally {
    await removeDir(root);
  }
});
