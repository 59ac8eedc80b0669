/**
 * A project a caller may not read does not exist for them, whatever they ask (issue #24, finding 1):
 * below a public `pub/app`, a private nested project `pub/app/internal`. Two servers with the same
 * config, one with the nested project's repository and one without, must give every caller who may
 * not read it the same whole answers (status, headers but the date, body bytes) on every endpoint and
 * page that could name it: the protocol in every scope (instance, project by path and id, group by
 * path and id), go-get pages, the web pages and the catalog; a path with nothing at all (`zzz`) is
 * the control that the parent really answers.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { hashToken } from '../../lib/access/auth.ts';
import type { ProxyOptions } from '../../lib/cli/config.ts';
import { createRepo } from '../support/git-fixture.ts';
import { type RunningProxy, startProxy } from '../support/proxy-server.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';

const HOST = 'go.localhost';
const APP = `${HOST}/pub/app`;
const INTERNAL = `${APP}/internal`;

/** Every place a caller could learn of `pub/app/internal`. */
const PATHS: readonly string[] = (() => {
  const files = ['@v/list', '@latest', '@v/v1.0.0.info', '@v/v1.0.0.mod', '@v/v1.0.0.zip', '@v/main.info'];
  const scopes = [
    '',
    '/api/v4/projects/pub%2Fapp/packages/go',
    '/api/v4/projects/1/packages/go',
    '/api/v4/projects/pub%2Fapp%2Finternal/packages/go',
    '/api/v4/projects/2/packages/go',
    '/api/v4/groups/pub/-/packages/go',
    '/api/v4/groups/12/-/packages/go',
    '/api/v4/groups/pub%2Fapp/-/packages/go',
  ];
  const modules = [INTERNAL, `${INTERNAL}/sub`, `${APP}/zzz`];
  return [
    ...scopes.flatMap((scope) => modules.flatMap((module) => files.map((file) => `${scope}/${module}/${file}`))),
    '/pub/app/internal?go-get=1',
    '/pub/app/internal/pkg?go-get=1',
    '/pub/app/zzz?go-get=1',
    `/-/modules/${INTERNAL}`,
    `/-/modules/${INTERNAL}/@v/v1.0.0`,
    `/-/modules/${APP}/zzz`,
    `/-/modules/${APP}`,
    '/',
    '/?q=internal',
    '/-/catalog',
    '/-/catalog?pagesize=1',
  ];
})();

/** A whole answer but its date, with the module host as `Host` (what go-get pages are made from). */
function wholeAnswer(
  proxy: RunningProxy,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const { port } = new URL(proxy.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host: HOST, ...headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const { date: _date, ...rest } = res.headers;
        resolve({ status: res.statusCode ?? 0, headers: rest, body: Buffer.concat(chunks).toString('latin1') });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('a hidden project answers exactly as an absent one', () => {
  let root: string;
  let present: RunningProxy;
  let absent: RunningProxy;

  before(async () => {
    root = await makeTempDir('hidden-as-absent');
    const app = await createRepo(join(root, 'with'), 'pub/app');
    await app.commit({ 'go.mod': `module ${APP}\n\ngo 1.19\n`, 'app.go': 'package app\n' }, {
      date: '2024-01-02T03:04:05Z',
    });
    await app.tag('v1.0.0');
    const internal = await createRepo(join(root, 'with'), 'pub/app/internal');
    await internal.commit({ 'go.mod': `module ${INTERNAL}\n\ngo 1.19\n`, 'secret.go': 'package internal\n' }, {
      date: '2024-01-03T03:04:05Z',
    });
    await internal.tag('v1.0.0');
    const options = (repos: string, name: string): ProxyOptions => ({
      repos,
      moduleHost: HOST,
      dataDir: join(root, `data-${name}`),
      projects: [
        { path: 'pub/app', id: 1, visibility: 'public' },
        { path: 'pub/app/internal', id: 2, visibility: 'private' },
      ],
      groups: [{ path: 'pub', id: 12 }],
      tokens: [
        { name: 'team', sha256: hashToken('ggp_team'), grants: ['pub/app/internal'] },
        { name: 'other', sha256: hashToken('ggp_other'), grants: ['other/**'] },
      ],
    });
    present = await startProxy(options(join(root, 'with'), 'present'));
    // The same `pub/app` (its repository named in the config) and no `pub/app/internal`.
    absent = await startProxy({
      ...options(join(root, 'without'), 'absent'),
      projects: [
        { path: 'pub/app', id: 1, visibility: 'public', repo: app.gitDir },
        { path: 'pub/app/internal', id: 2, visibility: 'private' },
      ],
    });
    // A token holder's downloads pin versions of the hidden project first.
    for (const file of ['@v/v1.0.0.mod', '@v/v1.0.0.zip']) {
      const own = await wholeAnswer(present, `/${INTERNAL}/${file}`, { 'private-token': 'ggp_team' });
      assert.equal(own.status, 200, file);
    }
  });

  after(async () => {
    await present?.close();
    await absent?.close();
    if (root !== undefined) await removeDir(root);
  });

  const callers: Array<[string, Record<string, string>]> = [
    ['anonymous', {}],
    ['a token for other projects', { 'private-token': 'ggp_other' }],
    ['an unknown token', { authorization: 'Bearer ggp_nobody' }],
  ];
  for (const [name, headers] of callers) {
    test(`${name}: every answer is the absent project's, byte for byte`, async (t) => {
      t.mock.method(process.stderr, 'write', () => true);
      const differences: string[] = [];
      for (const path of PATHS) {
        const hidden = await wholeAnswer(present, path, headers);
        const missing = await wholeAnswer(absent, path, headers);
        try {
          assert.deepEqual(hidden, missing);
        } catch {
          differences.push(
            `${path}: ${hidden.status} ${hidden.body.slice(0, 120)} | ${missing.status} ${missing.body.slice(0, 120)}`,
          );
        }
      }
      assert.deepEqual(differences, []);
    });
  }

  test('the control: the parent answers its own paths, and a token holder reads the nested project', async () => {
    assert.match((await wholeAnswer(present, `/${APP}/zzz/@v/list`, {})).body, /missing .*go\.mod at revision/);
    const own = await wholeAnswer(present, `/${INTERNAL}/@v/list`, { 'private-token': 'ggp_team' });
    assert.deepEqual([own.status, own.body], [200, 'v1.0.0\n']);
  });
});
