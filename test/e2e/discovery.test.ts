/**
 * Finding repositories while serving: repositories appear and disappear under load (every other
 * request keeps its answer; a new one is served after a rescan or the directory watch, a removed one
 * is a 404); a hidden project and a missing one take the same path (a miss never scans); until the
 * first scan is done `/-/ready` is 503 and module requests wait for it; SIGHUP
 * rescans in every `--workers` process; GitLab's hashed storage is served by project path through
 * the instance, project and group endpoints with the go client, its wikis, designs and pools not.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createHandler } from '../../lib/index.ts';
import { createRepo } from '../support/git-fixture.ts';
import { goModDownload } from '../support/go-client.ts';
import { rawGet } from '../support/http-get.ts';
import { startCliServer } from '../support/cli-server.ts';
import { type RunningProxy, startProxy } from '../support/proxy-server.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';
import { within } from '../support/wait.ts';

const HOST = 'go.test';
const DATE = '2024-05-06T07:08:09Z';

/** The bare repository `root/<fullPath>.git` of module `go.test/<modulePath>`, tagged v1.0.0; answers its git dir. */
async function addModule(root: string, fullPath: string, modulePath = fullPath): Promise<string> {
  const repo = await createRepo(root, fullPath);
  const name = modulePath.split('/').pop()!.replace(/[^a-z]/g, '');
  await repo.commit({ 'go.mod': `module ${HOST}/${modulePath}\n\ngo 1.19\n`, 'x.go': `package ${name}\n` }, {
    date: DATE,
  });
  await repo.tag('v1.0.0');
  return repo.gitDir;
}

async function status(url: string): Promise<number> {
  return (await rawGet(url)).status;
}

/** The value of an unlabelled series in `/metrics`. */
async function metric(baseUrl: string, name: string): Promise<number> {
  const text = (await rawGet(`${baseUrl}/metrics`)).body.toString();
  const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  assert.ok(match, `${name} in /metrics`);
  return Number(match[1]);
}

describe('repositories appearing and disappearing', () => {
  let scratch: string;
  let repos: string;
  let proxy: RunningProxy;

  before(async () => {
    scratch = await makeTempDir('discovery-e2e');
    repos = join(scratch, 'repos');
    await addModule(repos, 'group/steady');
    await addModule(repos, 'group/doomed');
    await addModule(repos, 'other/secret');
    await addModule(repos, 'other/open');
    proxy = await startProxy({
      repos,
      moduleHost: HOST,
      dataDir: join(scratch, 'data'),
      rescanInterval: 3600,
      projects: [
        { path: 'other/open', id: 1, visibility: 'public' },
        { path: 'other/secret', id: 2, visibility: 'private' },
      ],
    });
  });

  after(async () => {
    await proxy?.close();
    if (scratch !== undefined) await removeDir(scratch);
  });

  test('under load: a new repository is served after a rescan or by the watch, a removed one 404s, the rest keep answering', async () => {
    const steady = `${proxy.url}/${HOST}/group/steady/@v`;
    let loading = true;
    const failures: string[] = [];
    let answered = 0;
    const load = async () => {
      while (loading) {
        for (const path of ['list', 'v1.0.0.info', 'v1.0.0.mod']) {
          const got = await status(`${steady}/${path}`);
          answered++;
          if (got !== 200) failures.push(`${path}: ${got}`);
        }
      }
    };
    const clients = Array.from({ length: 4 }, load);
    try {
      assert.equal(await status(`${proxy.url}/${HOST}/group/added/@v/v1.0.0.info`), 404);
      await addModule(repos, 'group/added');
      await proxy.handler.rescan();
      assert.equal(await status(`${proxy.url}/${HOST}/group/added/@v/v1.0.0.info`), 200);

      await rm(join(repos, 'group/doomed.git'), { recursive: true });
      await proxy.handler.rescan();
      assert.equal(await status(`${proxy.url}/${HOST}/group/doomed/@v/list`), 404);

      // No rescan asked for: the watch of the group directories notices a new project.
      await addModule(repos, 'newgroup/watched');
      let served = false;
      const check = () =>
        void status(`${proxy.url}/${HOST}/newgroup/watched/@v/list`).then((got) => (served = got === 200));
      await within(15_000, () => (check(), served), 'newgroup/watched served without a rescan');
    } finally {
      loading = false;
      await Promise.all(clients);
    }
    assert.deepEqual(failures, []);
    assert.ok(answered > 0);
  });

  test('a hidden project and a missing one take the same path: the same answer, and no scan', async () => {
    const scans = await metric(proxy.url, 'git_goproxy_project_scans_total');
    const answers = new Map<string, Set<string>>();
    for (let i = 0; i < 50; i++) {
      for (
        const [label, id] of [
          ['hidden', 2],
          ['missing', 999 + i],
        ] as const
      ) {
        for (const module of [`${HOST}/other/secret`, `${HOST}/other/secret/sub`]) {
          const got = await rawGet(`${proxy.url}/api/v4/projects/${id}/packages/go/${module}/@v/list`);
          const seen = answers.get(label) ?? new Set<string>();
          seen.add(`${got.status} ${got.body.toString()}`);
          answers.set(label, seen);
        }
      }
      // The instance-wide endpoint: a private module and one that does not exist.
      const hidden = await rawGet(`${proxy.url}/${HOST}/other/secret/@v/list`);
      const missing = await rawGet(`${proxy.url}/${HOST}/other/missing${i}/@v/list`);
      assert.equal(hidden.status, 404);
      assert.equal(hidden.body.toString().replace('secret', 'X'), missing.body.toString().replace(`missing${i}`, 'X'));
    }
    assert.equal(answers.get('hidden')!.size, 2, 'one answer per module path');
    assert.deepEqual(answers.get('hidden'), answers.get('missing'));
    assert.equal(await metric(proxy.url, 'git_goproxy_project_scans_total'), scans, 'no miss started a scan');
  });

  test('/-/ready answers once the first scan is done, and /metrics counts the projects', async () => {
    assert.equal(await status(`${proxy.url}/-/ready`), 200);
    assert.equal(await metric(proxy.url, 'git_goproxy_projects'), proxy.handler.projectCount);
  });
});

describe('start-up', () => {
  test('before the first scan completes, /-/ready is 503 and a module request waits for the scan', async () => {
    const scratch = await makeTempDir('discovery-startup');
    const repos = join(scratch, 'repos');
    await addModule(repos, 'group/app');
    // Enough repositories that the first scan takes many event-loop turns (discovery needs no git).
    for (let i = 0; i < 3000; i++) {
      const gitDir = join(repos, `bulk${i % 30}`, `repo${i}.git`);
      mkdirSync(join(gitDir, 'objects'), { recursive: true });
      mkdirSync(join(gitDir, 'refs'));
      writeFileSync(join(gitDir, 'HEAD'), 'ref: refs/heads/main\n');
    }
    const handler = createHandler({ repos, moduleHost: HOST, dataDir: join(scratch, 'data'), logLevel: 'warn' });
    const server = createServer(handler);
    try {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const [ready, info, health] = await Promise.all([
        rawGet(`${url}/-/ready`),
        rawGet(`${url}/${HOST}/group/app/@v/v1.0.0.info`),
        rawGet(`${url}/-/health`),
      ]);
      assert.equal(ready.status, 503);
      assert.equal(ready.headers['retry-after'], '1');
      assert.equal(health.status, 200);
      assert.equal(info.status, 200, 'the module request waited for the scan instead of answering 404');
      await handler.ready;
      assert.equal(handler.projectCount, 3001);
      assert.equal(await status(`${url}/-/ready`), 200);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await handler.close();
      await removeDir(scratch);
    }
  });
});

describe('SIGHUP', () => {
  test('with --workers 2, every worker rescans and serves a repository added before the signal', async () => {
    const scratch = await makeTempDir('discovery-sighup');
    const repos = join(scratch, 'repos');
    await addModule(repos, 'group/first');
    const server = await startCliServer([
      '--repos',
      repos,
      '--module-host',
      HOST,
      '--workers',
      '2',
      '--rescan-interval',
      '3600',
    ]);
    try {
      await addModule(repos, 'group/second');
      const rescanned = () => server.logLines().filter((line) => line.msg === 'rescanned repositories');
      // Both workers listen before the primary forwards the signal to them.
      await within(
        30_000,
        () => server.logLines().filter((line) => line.msg === 'worker listening').length === 2,
        'two workers listening',
      );
      server.child.kill('SIGHUP');
      await within(30_000, () => new Set(rescanned().map((line) => line.pid)).size === 2, 'both workers rescanned');
      for (let i = 0; i < 6; i++) assert.equal(await status(`${server.url}/${HOST}/group/second/@v/list`), 200);
    } finally {
      await server.stop();
      await removeDir(scratch);
    }
  });
});

describe("GitLab's hashed storage", () => {
  let scratch: string;
  let proxy: RunningProxy;

  /** The repository GitLab keeps for project `id` (`suffix`: `.wiki`, `.design`), named `fullPath` in its config. */
  const hashedProject = async (root: string, id: number, suffix: string, fullPath: string): Promise<void> => {
    const hash = createHash('sha256').update(String(id)).digest('hex');
    const dir = join(root, '@hashed', hash.slice(0, 2), hash.slice(2, 4));
    const gitDir = await addModule(dir, `${hash}${suffix}`, fullPath);
    execFileSync('git', ['--git-dir', gitDir, 'config', 'gitlab.fullpath', fullPath]);
  };

  before(async () => {
    scratch = await makeTempDir('discovery-gitlab');
    const repos = join(scratch, 'repos');
    await hashedProject(repos, 11, '', 'acme/backend/app');
    await hashedProject(repos, 11, '.wiki', 'acme/backend/app.wiki');
    await hashedProject(repos, 11, '.design', 'acme/backend/app.design');
    const pool = await addModule(join(repos, '@pools/aa/bb'), 'pool', 'acme/pool');
    execFileSync('git', ['--git-dir', pool, 'config', 'gitlab.fullpath', 'acme/pool']);
    proxy = await startProxy({
      repos,
      moduleHost: HOST,
      dataDir: join(scratch, 'data'),
      projects: [{ path: 'acme/backend/app', id: 11 }],
    });
  });

  after(async () => {
    await proxy?.close();
    if (scratch !== undefined) await removeDir(scratch);
  });

  test('served by project path through the instance, project and group endpoints with the go client', async () => {
    const sums = new Set<string>();
    for (
      const base of [
        proxy.url,
        `${proxy.url}/api/v4/projects/11/packages/go`,
        `${proxy.url}/api/v4/projects/acme%2Fbackend%2Fapp/packages/go`,
        `${proxy.url}/api/v4/groups/acme/-/packages/go`,
      ]
    ) {
      const run = await goModDownload(`${HOST}/acme/backend/app@v1.0.0`, { proxy: base });
      assert.equal(run.json?.Error, undefined, `${base}: ${run.stderr}`);
      sums.add(run.json?.Sum ?? '');
    }
    assert.equal(sums.size, 1);
  });

  test('wikis, designs and pools are not projects', async () => {
    for (const module of ['acme/backend/app.wiki', 'acme/backend/app.design', 'acme/pool']) {
      assert.equal(await status(`${proxy.url}/${HOST}/${module}/@v/v1.0.0.info`), 404, module);
    }
    assert.equal(proxy.handler.projectCount, 1);
  });
});
