/**
 * A query by hash, hex prefix or pseudo-version reaches only commits of the project's own HEAD,
 * branches and tags (issue 15, part 2): a deleted branch's commit, force-pushed history, a merge
 * request's or pull request's head, and a private project's commit borrowed by a public fork through
 * `objects/info/alternates` are all the 404 of an unknown revision. A version served (pinned) before
 * its branch went away stays served from its pinned commit.
 */
import assert from 'node:assert/strict';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { hashToken } from '../../lib/access/auth.ts';
import { startedChildCount } from '../../lib/git/children.ts';
import { createRepo, type FixtureRepo } from '../support/git-fixture.ts';
import { type RunningProxy, startProxy } from '../support/proxy-server.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';

const HOST = 'go.localhost';
const PUBLIC = `${HOST}/corp/app`;
const FORK = `${HOST}/corp/fork`;
const SECRET = 'ggp_reachable';
const UNKNOWN = '0123456789abcdef0123456789abcdef01234567';

describe('only commits the refs reach are served by hash', () => {
  let root: string;
  let app: FixtureRepo;
  let proxy: RunningProxy;
  let released: string;
  let deleted: string;
  let forcePushed: string;
  let mergeRequest: string;
  let pullRequest: string;
  let detachedHead: string;
  let pinned: string;
  let pinnedVersion: string;
  let deletedVersion: string;
  let privateCommit: string;

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${proxy.url}/${path}`, { headers });
  const text = async (path: string) => {
    const response = await get(path);
    return { status: response.status, body: await response.text() };
  };

  /** What an unknown revision answers, with `rev` in place of the unknown hash. */
  async function unknownAnswer(module: string, query: string, rev: string) {
    const answer = await text(`${module}/@v/${query.replace(rev, UNKNOWN.slice(0, rev.length))}.info`);
    return { status: answer.status, body: answer.body.replaceAll(UNKNOWN.slice(0, rev.length), rev) };
  }

  before(async () => {
    root = await makeTempDir('reachable');
    const repos = join(root, 'repos');
    app = await createRepo(repos, 'corp/app');
    released = await app.commit({ 'go.mod': `module ${PUBLIC}\n`, 'a.go': 'package a\n' }, {
      date: '2024-01-01T00:00:00Z',
    });
    await app.tag('v1.0.0');
    deleted = await app.commit({ 'a.go': 'package a\n\nconst Deleted = 1\n' }, {
      date: '2024-01-02T00:00:00Z',
      branch: 'feature',
    });
    pinned = await app.commit({ 'a.go': 'package a\n\nconst Pinned = 1\n' }, {
      date: '2024-01-03T00:00:00Z',
      branch: 'pinned',
    });
    forcePushed = await app.commit({ 'a.go': 'package a\n\nconst Old = 1\n' }, { date: '2024-01-04T00:00:00Z' });
    mergeRequest = await app.commit({ 'a.go': 'package a\n\nconst MR = 1\n' }, {
      date: '2024-01-05T00:00:00Z',
      branch: null,
      parents: [released],
    });
    await app.updateRef('refs/merge-requests/1/head', mergeRequest);
    pullRequest = await app.commit({ 'a.go': 'package a\n\nconst PR = 1\n' }, {
      date: '2024-01-06T00:00:00Z',
      branch: null,
      parents: [released],
    });
    await app.updateRef('refs/pull/1/head', pullRequest);

    // A private project, and a public fork that borrows its objects (how forks with object pools work).
    const secret = await createRepo(repos, 'corp/secret');
    const forkPoint = await secret.commit({ 'f.go': 'package f\n' }, { date: '2024-02-01T00:00:00Z' });
    const fork = await createRepo(repos, 'corp/fork');
    await writeFile(join(fork.gitDir, 'objects/info/alternates'), `${join(secret.gitDir, 'objects')}\n`);
    await fork.branch('main', forkPoint);
    privateCommit = await secret.commit({ 'f.go': 'package f\n', 'secret.txt': 'private\n' }, {
      date: '2024-02-02T00:00:00Z',
    });

    proxy = await startProxy({
      repos,
      moduleHost: HOST,
      projects: [
        { path: 'corp/app', visibility: 'public' },
        { path: 'corp/fork', visibility: 'public' },
        { path: 'corp/secret', visibility: 'private' },
      ],
      tokens: [{ name: 'team', sha256: hashToken(SECRET), grants: ['corp/secret'] }],
      dataDir: join(root, 'data'),
    });

    // Served while the branches exist: one is pinned (its .mod was downloaded), one only looked at.
    pinnedVersion = ((await (await get(`${PUBLIC}/@v/${pinned}.info`)).json()) as { Version: string }).Version;
    assert.equal((await get(`${PUBLIC}/@v/${pinnedVersion}.mod`)).status, 200);
    deletedVersion = ((await (await get(`${PUBLIC}/@v/${deleted}.info`)).json()) as { Version: string }).Version;
    await app.deleteBranch('feature');
    await app.deleteBranch('pinned');
    detachedHead = await app.commit({ 'a.go': 'package a\n\nconst Head = 1\n' }, {
      date: '2024-01-07T00:00:00Z',
      branch: null,
      parents: [released],
    });
    await app.git(['update-ref', '--no-deref', 'HEAD', detachedHead]);
    await app.branch('main', released); // force-push: forcePushed is no longer on main
  });

  after(async () => {
    await proxy?.close();
    if (root !== undefined) await removeDir(root);
  });

  test('a deleted branch, force-pushed history, merge and pull request heads: the 404 of an unknown revision', async () => {
    for (const commit of [deleted, forcePushed, mergeRequest, pullRequest]) {
      for (const query of [commit, commit.slice(0, 7), commit.slice(0, 12)]) {
        const answer = await text(`${PUBLIC}/@v/${query}.info`);
        assert.deepEqual(answer, await unknownAnswer(PUBLIC, query, query), query);
        assert.match(answer.body, /unknown revision/);
      }
    }
  });

  test('a pseudo-version of an unreachable commit is unknown for .info, .mod and .zip', async () => {
    for (const kind of ['info', 'mod', 'zip']) {
      const answer = await text(`${PUBLIC}/@v/${deletedVersion}.${kind}`);
      assert.equal(answer.status, 404, kind);
      assert.match(answer.body, new RegExp(`unknown revision ${deleted.slice(0, 12)}`), kind);
    }
  });

  test("a public fork does not serve the private project's commits it borrows through alternates", async () => {
    const pseudo = `v0.0.0-20240202000000-${privateCommit.slice(0, 12)}`;
    for (
      const path of [`${privateCommit}.info`, `${privateCommit.slice(0, 7)}.info`, `${pseudo}.info`, `${pseudo}.zip`]
    ) {
      const answer = await text(`${FORK}/@v/${path}`);
      assert.equal(answer.status, 404, path);
      assert.match(answer.body, /unknown revision/, path);
    }
    const owner = await get(`${HOST}/corp/secret/@v/${pseudo}.info`, { authorization: `Bearer ${SECRET}` });
    assert.equal(owner.status, 200, 'the private project itself serves it to its readers');
  });

  test('HEAD, branches, tags and their history are served; a pinned version stays served from its commit', async () => {
    assert.equal((await get(`${PUBLIC}/@v/${detachedHead.slice(0, 7)}.info`)).status, 200, 'a detached HEAD');
    assert.equal((await get(`${PUBLIC}/@v/${released}.info`)).status, 200);
    assert.equal((await get(`${PUBLIC}/@v/${pinnedVersion}.info`)).status, 200);
    assert.equal((await get(`${PUBLIC}/@v/${pinnedVersion}.mod`)).status, 200);
    assert.equal((await get(`${PUBLIC}/@v/${pinnedVersion}.zip`)).status, 200);
    assert.equal((await get(`${PUBLIC}/@v/${pinned}.info`)).status, 404, 'the commit itself is not a version');
  });

  test('a repeated query by hash starts no git process while the refs stay as they are', async () => {
    await text(`${PUBLIC}/@v/${deleted.slice(0, 9)}.info`);
    const started = startedChildCount();
    for (let i = 0; i < 5; i++) assert.equal((await get(`${PUBLIC}/@v/${deleted.slice(0, 9)}.info`)).status, 404);
    assert.equal(startedChildCount(), started);
  });
});

describe("a reused project path that borrows the old repository's objects", () => {
  let root: string;
  let proxy: RunningProxy;
  const OLD = `${HOST}/secret/old`;

  before(async () => {
    root = await makeTempDir('reused-path');
    const repos = join(root, 'repos');
    const old = await createRepo(repos, 'secret/old');
    await old.commit(
      { 'go.mod': `module ${OLD}\n`, 'secret.go': 'package old\n\nconst Secret = "old and private"\n' },
      {
        date: '2024-01-01T00:00:00Z',
      },
    );
    await old.tag('v1.0.0');
    const base = {
      repos,
      moduleHost: HOST,
      dataDir: join(root, 'data'),
      tokens: [{ name: 'team', sha256: hashToken(SECRET), grants: ['secret/**'] }],
    };
    const before = await startProxy({ ...base, projects: [{ path: 'secret/old', visibility: 'private' }] });
    try {
      const zip = await fetch(`${before.url}/${OLD}/@v/v1.0.0.zip`, { headers: { 'private-token': SECRET } });
      assert.equal(zip.status, 200, 'v1.0.0 is pinned');
      await zip.arrayBuffer();
    } finally {
      await before.close();
    }

    // The project is deleted, its objects kept in a pool; a new public project takes its path and borrows them.
    await rename(old.gitDir, join(root, 'pool.git'));
    const reused = await createRepo(repos, 'secret/old');
    await writeFile(join(reused.gitDir, 'objects/info/alternates'), `${join(root, 'pool.git', 'objects')}\n`);
    await reused.commit({ 'go.mod': `module ${OLD}\n`, 'new.go': 'package old\n' }, { date: '2024-02-01T00:00:00Z' });
    proxy = await startProxy({ ...base, projects: [{ path: 'secret/old', visibility: 'public' }] });
  });

  after(async () => {
    await proxy?.close();
    if (root !== undefined) await removeDir(root);
  });

  test("the old project's pinned zip and go.mod are never served from the borrowed objects", async (t) => {
    t.mock.method(process.stderr, 'write', () => true);
    for (const file of ['v1.0.0.zip', 'v1.0.0.mod', 'v1.0.0.info']) {
      const response = await fetch(`${proxy.url}/${OLD}/@v/${file}`);
      const body = Buffer.from(await response.arrayBuffer()).toString('latin1');
      assert.notEqual(response.status, 200, file);
      assert.ok(!body.includes('old and private') && !body.startsWith('PK'), `${file}: ${body.slice(0, 80)}`);
    }
  });
});
