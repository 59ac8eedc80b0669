/**
 * Operations without restarts (issue #18): a running server takes a new config for the next request.
 *
 * Embedded (`handler.reload`): tokens, visibility and numeric group ids apply; a project made
 * private, or a nested project added, is at once the 404 of a missing module on every endpoint and
 * page; an invalid config is refused and the old one keeps serving; fixed options are reported as
 * needing a restart; a download under way finishes as it started.
 * Command line (`node lib/server.js --config FILE`): after `token revoke`, with no signal sent, the
 * go client is refused as soon as the server has applied the changed file (its reload counter
 * says so); `token create` and a changed grant apply the same way; a broken file is refused with
 * one error line and counted in /metrics; SIGHUP reloads; with `--workers 2` every worker reloads.
 * And `check`, which validates without serving. (How soon a change applies is a matter for the
 * benchmark: here the tests wait for the reload, not for a clock.)
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { hashToken } from '../../lib/access/auth.ts';
import { ConfigError } from '../../lib/common/errors.ts';
import type { ProxyOptions } from '../../lib/index.ts';
import { type CliServer, runCli, startCliServer } from '../support/cli-server.ts';
import { createRepo } from '../support/git-fixture.ts';
import { goListVersions } from '../support/go-client.ts';
import { rawGet } from '../support/http-get.ts';
import { type RunningProxy, startProxy } from '../support/proxy-server.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';
import { makeTestCertificates, startTlsFront, type TlsFront } from '../support/tls.ts';
import { within } from '../support/wait.ts';

const SECRET = 'ggp_live-reload';
const HOST = 'go.localhost';
const PRIVATE = `${HOST}/group/secret`;
const PUBLIC = `${HOST}/group/public`;
/** A module path under no project at all: what a hidden module must look like. */
const MISSING = `${HOST}/nobody/secret`;
/** How long a test waits for a reload it caused, or for its refusal to be logged, before it fails. */
const RELOAD_LIMIT_MS = 10_000;

async function addModule(root: string, fullPath: string, modulePath = `${HOST}/${fullPath}`): Promise<void> {
  const repo = await createRepo(root, fullPath);
  await repo.commit({ 'go.mod': `module ${modulePath}\n\ngo 1.19\n`, 'a.go': 'package a\n' }, {
    date: '2024-03-04T05:06:07Z',
  });
  await repo.tag('v1.0.0');
}

/** Writes the config as `token create` does: a temp file renamed over the old one. */
function writeConfigAtomically(file: string, config: Record<string, unknown>): void {
  writeFileSync(`${file}.tmp`, `${JSON.stringify(config, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

const listPath = (module: string) => `/${module}/@v/list`;
const groupListPath = (group: string, module: string) => `/api/v4/groups/${group}/-/packages/go/${module}/@v/list`;

/** Status, body and headers (but the date and length) of an answer, with `module` written as `MODULE`. */
async function answer(
  url: string,
  module: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const response = await fetch(url, { headers });
  const all = Object.fromEntries(
    [...response.headers].filter(([name]) => name !== 'date' && name !== 'content-length'),
  );
  return {
    status: response.status,
    headers: all,
    body: (await response.text()).replaceAll(module, 'MODULE').replaceAll(module.slice(HOST.length + 1), 'PATH'),
  };
}

/** A go-get page request for `path` with the module host as `Host` (fetch cannot set one): its status and body. */
async function goGetPage(
  proxyUrl: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const { status, body } = await rawGet(`${proxyUrl}${path}?go-get=1`, { host: HOST, ...headers });
  return { status, body: body.toString() };
}

/** Every endpoint and page that names a module: each must answer for `module` as for a module that does not exist. */
const MODULE_ENDPOINTS = ['@v/list', '@latest', '@v/v1.0.0.info', '@v/v1.0.0.mod', '@v/v1.0.0.zip'];

async function assertHiddenAsMissing(
  proxyUrl: string,
  module: string,
  headers: Record<string, string> = {},
): Promise<void> {
  const missingAs = (path: string) => path.replace(module, MISSING);
  const paths = [
    ...MODULE_ENDPOINTS.map((file) => `/${module}/${file}`),
    `/-/modules/${module}`,
    `/-/modules/${module}/@v/v1.0.0`,
  ];
  for (const path of paths) {
    const hidden = await answer(`${proxyUrl}${path}`, module, headers);
    assert.equal(hidden.status, 404, `${path}: ${hidden.body}`);
    assert.deepEqual(hidden, await answer(`${proxyUrl}${missingAs(path)}`, MISSING, headers), path);
  }
  const page = module.slice(HOST.length);
  const hiddenGoGet = await goGetPage(proxyUrl, page, headers);
  assert.equal(hiddenGoGet.status, 404, `go-get ${page}`);
  assert.deepEqual(
    hiddenGoGet,
    await goGetPage(proxyUrl, missingAs(`/${module}`).slice(HOST.length + 1), headers),
    `go-get ${page}`,
  );
  const catalog = await (await fetch(`${proxyUrl}/-/catalog`, { headers })).text();
  assert.ok(!catalog.includes(module), `the catalog does not list ${module}`);
}

/** Whole answers (but the date and length) for `module` on every endpoint and page, go-get included: to compare before and after a change. */
async function answersFor(proxyUrl: string, module: string): Promise<unknown[]> {
  const paths = [
    ...MODULE_ENDPOINTS.map((file) => `/${module}/${file}`),
    `/-/modules/${module}`,
    `/-/modules/${module}/@v/v1.0.0`,
  ];
  const answers: unknown[] = [];
  for (const path of paths) answers.push(await answer(`${proxyUrl}${path}`, module));
  answers.push(await goGetPage(proxyUrl, module.slice(HOST.length)));
  return answers;
}

describe('reload in an embedded handler', () => {
  let scratch: string;
  let proxy: RunningProxy;
  let base: ProxyOptions;
  const get = (path: string, headers: Record<string, string> = {}) => rawGet(`${proxy.url}${path}`, headers);
  const withToken = { 'Private-Token': SECRET };
  const ciToken = (grants: string[]) => [{ name: 'ci', sha256: hashToken(SECRET), grants }];

  before(async () => {
    scratch = await makeTempDir('reload-embedded');
    const repos = join(scratch, 'repos');
    await addModule(repos, 'group/public');
    await addModule(repos, 'group/secret');
    await addModule(join(scratch, 'elsewhere'), 'inner', `${PUBLIC}/inner`);
    base = {
      repos,
      dataDir: join(scratch, 'data'),
      logLevel: 'error',
      projects: [
        { path: 'group/public', visibility: 'public' },
        { path: 'group/secret', visibility: 'private' },
      ],
    };
    proxy = await startProxy(base);
  });

  after(async () => {
    await proxy?.close();
    if (scratch !== undefined) await removeDir(scratch);
  });

  test('tokens and visibility apply to the next request', async () => {
    assert.equal((await get(listPath(PRIVATE), withToken)).status, 404);
    assert.deepEqual(await proxy.handler.reload({ ...base, tokens: ciToken(['group/*']) }), { restartNeeded: [] });
    assert.equal((await get(listPath(PRIVATE), withToken)).status, 200);
    assert.equal((await get(listPath(PRIVATE))).status, 404);

    await proxy.handler.reload({ ...base, projects: [{ path: 'group/secret', visibility: 'public' }] });
    assert.equal((await get(listPath(PRIVATE))).status, 200, 'the project became public');
    assert.equal(
      (await get(listPath(PRIVATE), withToken)).status,
      200,
      'a token that is no longer there counts as none',
    );
    await proxy.handler.reload(base);
  });

  test('a project made private by a reload is, on the next request, the 404 of a missing module on every endpoint and page', async () => {
    assert.equal((await get(listPath(PUBLIC))).status, 200);
    assert.equal((await goGetPage(proxy.url, '/group/public')).status, 200);
    await proxy.handler.reload({
      ...base,
      projects: [{ path: 'group/public', visibility: 'private' }],
      tokens: ciToken(['group/secret']),
    });
    await assertHiddenAsMissing(proxy.url, PUBLIC);
    await assertHiddenAsMissing(proxy.url, PUBLIC, withToken);
    await proxy.handler.reload(base);
    assert.equal((await get(listPath(PUBLIC))).status, 200, 'public again');
  });

  test('a private nested project added by a reload owns its module path at once: hidden from others as if absent, never answered from the parent for a token holder', async () => {
    const inner = `${PUBLIC}/inner`;
    const nested = {
      path: 'group/public-inner',
      repo: join(scratch, 'elsewhere/inner.git'),
      modulePath: inner,
      visibility: 'private' as const,
    };
    // Before: the path is a (missing) subdirectory of the public parent.
    assert.equal((await get(listPath(inner))).status, 404);
    const before = await answersFor(proxy.url, inner);
    await proxy.handler.reload({
      ...base,
      projects: [...base.projects!, nested],
      tokens: ciToken(['group/public-inner']),
    });
    assert.deepEqual(await answersFor(proxy.url, inner), before, 'to an anonymous caller, as if it did not exist');
    assert.equal(
      (await get(listPath(inner), withToken)).body.toString(),
      'v1.0.0\n',
      'the token holder reads the nested project',
    );
    assert.equal(
      (await get(`/api/v4/projects/group%2Fpublic/packages/go/${inner}/@v/list`, withToken)).status,
      404,
      'not through the parent',
    );
    await proxy.handler.reload(base);
  });

  test('a numeric group id answers as the group path; unknown and hidden ids are the same 404', async () => {
    await proxy.handler.reload({ ...base, groups: [{ path: 'group', id: 12 }] });
    const byPath = await get(groupListPath('group', PUBLIC));
    const byId = await get(groupListPath('12', PUBLIC));
    assert.equal(byId.status, 200);
    assert.equal(byId.body.toString(), byPath.body.toString());
    const hidden = await get(groupListPath('12', PRIVATE));
    const unknownId = await get(groupListPath('13', PUBLIC));
    assert.equal(hidden.status, 404);
    assert.equal(unknownId.status, 404);
    assert.deepEqual(unknownId.body.toString().replace(PUBLIC, 'M'), hidden.body.toString().replace(PRIVATE, 'M'));
    assert.equal(unknownId.headers['content-type'], hidden.headers['content-type']);

    const go = await goListVersions(PUBLIC, { proxy: `${proxy.url}/api/v4/groups/12/-/packages/go` });
    assert.deepEqual(go.versions, ['v1.0.0'], go.stderr);
    await proxy.handler.reload(base);
    assert.equal((await get(groupListPath('12', PUBLIC))).status, 404, 'an id the config no longer names is no group');
  });

  test('an invalid config changes nothing; the refusal is counted', async () => {
    const before = (await get('/metrics')).body.toString();
    const applied = Number(/^git_goproxy_config_reloads_total\{result="applied"\} (\d+)$/m.exec(before)?.[1]);
    await proxy.handler.reload({ ...base, tokens: ciToken(['group/secret']) });
    const badHash = { ...base, tokens: [{ name: 'ci', sha256: 'not-hex', grants: ['**'] }] };
    await assert.rejects(
      proxy.handler.reload(badHash),
      (e: unknown) => e instanceof ConfigError && /^config: tokens\[0\]\.sha256: /.test(e.message),
    );
    const badVanity = { ...base, tokens: [], projects: [{ path: 'group/secret', modulePath: 'no dot/x' }] };
    await assert.rejects(
      proxy.handler.reload(badVanity),
      (e: unknown) => e instanceof ConfigError && /modulePath/.test(e.message),
    );
    const unreadable = () => {
      throw new ConfigError('file.json', 'Unexpected end of JSON input');
    };
    await assert.rejects(proxy.handler.reload(unreadable), ConfigError);
    assert.equal((await get(listPath(PRIVATE), withToken)).status, 200, 'the previous tokens still serve');
    assert.equal((await get(listPath(PRIVATE))).status, 404, 'and the previous visibility');
    const metrics = (await get('/metrics')).body.toString();
    assert.match(metrics, /^git_goproxy_config_reloads_total\{result="rejected"\} 3$/m);
    assert.match(metrics, new RegExp(`^git_goproxy_config_reloads_total\\{result="applied"\\} ${applied + 1}$`, 'm'));
  });

  test('a download under way when its token is revoked finishes as it started', async () => {
    await proxy.handler.reload({ ...base, tokens: ciToken(['group/*']) });
    let revoked: Promise<unknown> = Promise.resolve();
    const body = await new Promise<Buffer>((resolve, reject) => {
      const req = request(`${proxy.url}/${PRIVATE}/@v/v1.0.0.zip`, { headers: withToken, agent: false }, (res) => {
        assert.equal(res.statusCode, 200);
        res.pause();
        revoked = proxy.handler.reload({ ...base, tokens: [] });
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve(Buffer.concat(chunks)));
        res.on('error', reject);
        setTimeout(() => res.resume(), 50);
      });
      req.on('error', reject);
      req.end();
    });
    await revoked;
    assert.equal(
      body.readUInt32LE(body.length - 22),
      0x06054b50,
      'the zip ends with its end-of-central-directory record',
    );
    assert.equal((await get(`/${PRIVATE}/@v/v1.0.0.zip`, withToken)).status, 404, 'the next request is refused');
  });

  test('options a reload cannot change are reported as needing a restart, and keep their value', async () => {
    const outcome = await proxy.handler.reload({
      ...base,
      repos: join(scratch, 'elsewhere'),
      maxGit: 1,
      logLevel: 'error',
    });
    assert.deepEqual(outcome, { restartNeeded: ['repos', 'maxGit'] });
    assert.equal((await get(listPath(PUBLIC))).status, 200, 'still served from the first repos');
    await proxy.handler.reload(base);
  });
});

describe('reload of the command line server', () => {
  let scratch: string;
  let configFile: string;
  let server: CliServer;
  /** HTTPS in front of the server: the go command sends .netrc credentials to https URLs only. */
  let front: TlsFront;
  let caFile: string;
  /** The go client's options with a .netrc that holds `secret` for 127.0.0.1. */
  const goWithToken = (name: string, secret: string) => {
    const netrc = join(scratch, `netrc-${name}`);
    writeFileSync(netrc, `machine 127.0.0.1\n  login ${name}\n  password ${secret}\n`, { mode: 0o600 });
    return { proxy: { proxy: front.url }, env: { SSL_CERT_FILE: caFile, NETRC: netrc } };
  };
  const get = (path: string, secret?: string) =>
    rawGet(`${server.url}${path}`, secret === undefined ? {} : { 'Private-Token': secret });
  const tokenCommand = (...args: string[]) => runCli(['token', ...args, '--config', configFile]);

  /** Config reloads the server has applied so far (`git_goproxy_config_reloads_total{result="applied"}`). */
  const appliedReloads = async (): Promise<number> => {
    const metrics = (await get('/metrics')).body.toString();
    return Number(/^git_goproxy_config_reloads_total\{result="applied"\} (\d+)$/m.exec(metrics)?.[1] ?? 0);
  };
  /** Runs `change` (which writes the config file) and resolves once the server has applied a reload after it. */
  const afterReload = async (change: () => unknown): Promise<void> => {
    const before = await appliedReloads();
    await change();
    const start = performance.now();
    while ((await appliedReloads()) === before) {
      if (performance.now() - start > RELOAD_LIMIT_MS) throw new Error(`no reload within ${RELOAD_LIMIT_MS} ms`);
      await sleep(20);
    }
  };

  before(async () => {
    scratch = await makeTempDir('reload-cli');
    const repos = join(scratch, 'repos');
    await addModule(repos, 'group/public');
    await addModule(repos, 'group/secret');
    configFile = join(scratch, 'config.json');
    writeConfigAtomically(configFile, {
      repos,
      dataDir: join(scratch, 'data'),
      projects: [
        { path: 'group/public', visibility: 'public' },
        { path: 'group/secret', visibility: 'private' },
      ],
      tokens: [{ name: 'e2e', sha256: hashToken(SECRET), grants: ['group/*'] }],
    });
    server = await startCliServer(['--config', configFile]);
    const certificates = await makeTestCertificates(scratch);
    caFile = certificates.caFile;
    front = await startTlsFront(server.url, certificates);
  });

  after(async () => {
    await front?.close();
    await server?.stop();
    if (scratch !== undefined) await removeDir(scratch);
  });

  test('token revoke, with no restart and no signal: once applied, the go client is refused, as with no token', async () => {
    const go = goWithToken('e2e', SECRET);
    const before = await goListVersions(PRIVATE, go.proxy, { env: go.env });
    assert.deepEqual(before.versions, ['v1.0.0'], before.stderr);
    const anonymous = await get(listPath(PRIVATE));
    await afterReload(async () => {
      const revoke = await tokenCommand('revoke', 'e2e');
      assert.equal(revoke.exitCode, 0, revoke.stderr);
    });
    const refused = await get(listPath(PRIVATE), SECRET);
    assert.equal(refused.status, 404);
    assert.deepEqual(refused.body, anonymous.body, 'the same 404 as without a token');
    const after = await goListVersions(PRIVATE, go.proxy, { env: go.env });
    assert.notEqual(after.exitCode, 0);
    assert.match(after.stderr, /404 Not Found/);
    assert.equal(server.child.exitCode, null, 'no restart');
  });

  test('token create and a changed grant apply once the server has reloaded the file', async () => {
    let created: { exitCode: number | null; stdout: string; stderr: string } | undefined;
    await afterReload(async () => {
      created = await tokenCommand('create', '--name', 'new', '--grant', 'group/secret');
    });
    assert.equal(created?.exitCode, 0, created?.stderr);
    const secret = created!.stdout.trim();
    assert.equal((await get(listPath(PRIVATE), secret)).status, 200);
    const go = goWithToken('new', secret);
    const listed = await goListVersions(PRIVATE, go.proxy, { env: go.env });
    assert.deepEqual(listed.versions, ['v1.0.0'], listed.stderr);

    const config = JSON.parse(readFileSync(configFile, 'utf8')) as {
      tokens: Array<{ name: string; grants: string[] }>;
    };
    const token = config.tokens.find(({ name }) => name === 'new')!;
    token.grants = ['other/*'];
    await afterReload(() => writeConfigAtomically(configFile, config));
    assert.equal((await get(listPath(PRIVATE), secret)).status, 404);
    token.grants = ['group/**'];
    await afterReload(() => writeConfigAtomically(configFile, config));
    assert.equal((await get(listPath(PRIVATE), secret)).status, 200);
  });

  test('a broken config is refused with one line naming the key; the previous one keeps serving', async () => {
    const working = readFileSync(configFile, 'utf8');
    const { name } = (JSON.parse(working) as { tokens: Array<{ name: string }> }).tokens[0];
    writeConfigAtomically(configFile, { ...JSON.parse(working), tokens: [{ name, sha256: 'abc', grants: ['**'] }] });
    await within(
      RELOAD_LIMIT_MS,
      () => server.logLines().some((line) => line.level === 'error'),
      'the refusal logged',
    );
    const errors = server.logLines().filter((line) => line.level === 'error');
    assert.equal(errors.length, 1);
    assert.equal(errors[0].msg, 'config not applied: the previous config stays in force');
    assert.equal(errors[0].error, 'config: tokens[0].sha256: must be 64 lower-case hex digits');
    assert.equal((await get(listPath(PUBLIC))).status, 200);
    const metrics = (await get('/metrics')).body.toString();
    assert.match(metrics, /^git_goproxy_config_reloads_total\{result="rejected"\} 1$/m);
    assert.match(metrics, /^git_goproxy_config_reloads_total\{result="applied"\} [1-9]\d*$/m);
    writeFileSync(configFile, working);
  });

  test('SIGHUP reloads and rescans; settings only a restart applies are logged as such', async () => {
    const config = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
    writeConfigAtomically(configFile, { ...config, shutdownTimeout: 5, maxGit: 3 });
    await within(
      RELOAD_LIMIT_MS,
      () => server.logLines().some((line) => line.msg === 'config change needs a restart to apply'),
      'the restart warning',
    );
    const warning = server.logLines().find((line) => line.msg === 'config change needs a restart to apply');
    assert.deepEqual(warning?.settings, ['shutdownTimeout', 'maxGit']);
    server.child.kill('SIGHUP');
    await within(
      5000,
      () => server.logLines().some((line) => line.msg === 'config reloaded' && line.trigger === 'SIGHUP'),
      'the SIGHUP reload',
    );
    await within(
      5000,
      () => server.logLines().some((line) => line.msg === 'rescanned repositories'),
      'the SIGHUP rescan',
    );
    assert.equal(server.child.exitCode, null);
  });
});

describe('a config mounted as Kubernetes mounts a ConfigMap or Secret', () => {
  let scratch: string;
  let mount: string;
  let server: CliServer;
  let generation = 0;

  /** What the kubelet does: a new timestamped directory, a `..data_tmp` link to it renamed over `..data`, the old directory removed. */
  const publish = (config: Record<string, unknown>): void => {
    const previous = generation === 0 ? undefined : `..2024_01_01_00_00_0${generation}`;
    const next = `..2024_01_01_00_00_0${++generation}`;
    mkdirSync(join(mount, next));
    writeFileSync(join(mount, next, 'config.json'), JSON.stringify(config));
    symlinkSync(next, join(mount, '..data_tmp'));
    renameSync(join(mount, '..data_tmp'), join(mount, '..data'));
    if (previous !== undefined) rmSync(join(mount, previous), { recursive: true });
  };

  before(async () => {
    scratch = await makeTempDir('reload-configmap');
    const repos = join(scratch, 'repos');
    await addModule(repos, 'group/secret');
    mount = join(scratch, 'mount');
    mkdirSync(mount);
    publish(mountedConfig(repos, [{ name: 'e2e', sha256: hashToken(SECRET), grants: ['group/*'] }]));
    symlinkSync('..data/config.json', join(mount, 'config.json'));
    server = await startCliServer(['--config', join(mount, 'config.json')]);
  });

  after(async () => {
    await server?.stop();
    if (scratch !== undefined) await removeDir(scratch);
  });

  const mountedConfig = (repos: string, tokens: unknown[]) => ({
    repos,
    dataDir: join(scratch, 'data'),
    projects: [{ path: 'group/secret', visibility: 'private' }],
    tokens,
  });

  test('a token revoked by swapping ..data is refused once the server reloads, twice in a row, with no signal', async () => {
    const status = async () => (await rawGet(`${server.url}${listPath(PRIVATE)}`, { 'Private-Token': SECRET })).status;
    assert.equal(await status(), 200);
    const repos = join(scratch, 'repos');
    publish(mountedConfig(repos, []));
    await within(RELOAD_LIMIT_MS, async () => (await status()) === 404, 'the revocation');
    publish(mountedConfig(repos, [{ name: 'e2e', sha256: hashToken(SECRET), grants: ['group/*'] }]));
    await within(RELOAD_LIMIT_MS, async () => (await status()) === 200, 'the token given back');
    publish(mountedConfig(repos, []));
    await within(RELOAD_LIMIT_MS, async () => (await status()) === 404, 'the second revocation');
  });
});

describe('reload with --workers 2', () => {
  let scratch: string;
  let configFile: string;
  let server: CliServer;

  before(async () => {
    scratch = await makeTempDir('reload-workers');
    const repos = join(scratch, 'repos');
    await addModule(repos, 'group/secret');
    configFile = join(scratch, 'config.json');
    writeConfigAtomically(configFile, {
      repos,
      dataDir: join(scratch, 'data'),
      projects: [{ path: 'group/secret', visibility: 'private' }],
    });
    server = await startCliServer(['--config', configFile, '--workers', '2']);
    await within(
      30_000,
      () => server.logLines().filter((line) => line.msg === 'worker listening').length === 2,
      'both workers listening',
    );
  });

  after(async () => {
    await server?.stop();
    if (scratch !== undefined) await removeDir(scratch);
  });

  test('every worker takes a new token; SIGHUP to the primary reloads each worker', async () => {
    const created = await runCli(['token', 'create', '--name', 'w', '--grant', '**', '--config', configFile]);
    assert.equal(created.exitCode, 0, created.stderr);
    await within(
      5000,
      () => server.logLines().filter((line) => line.msg === 'config reloaded').length === 2,
      'a reload in each worker',
    );
    for (let i = 0; i < 20; i++) {
      assert.equal(
        (await rawGet(`${server.url}${listPath(PRIVATE)}`, { 'Private-Token': created.stdout.trim() })).status,
        200,
        `request ${i}`,
      );
    }
    server.child.kill('SIGHUP');
    const hupReloads = () =>
      server.logLines().filter((line) => line.msg === 'config reloaded' && line.trigger === 'SIGHUP').length;
    await within(5000, () => hupReloads() === 2, 'a SIGHUP reload in each worker');
  });
});

describe('check', () => {
  let scratch: string;
  let repos: string;

  before(async () => {
    scratch = await makeTempDir('check');
    repos = join(scratch, 'repos');
    await addModule(repos, 'group/app');
  });

  after(async () => {
    if (scratch !== undefined) await removeDir(scratch);
  });

  test('prints projects, groups and tokens (never a hash) without serving, and exits 0', async () => {
    const file = join(scratch, 'ok.json');
    const sha256 = hashToken('ggp_check');
    writeConfigAtomically(file, {
      repos,
      dataDir: join(scratch, 'data'),
      projects: [{ path: 'group/app', id: 7, modulePath: 'example.com/app', visibility: 'public' }],
      groups: [{ path: 'group', id: 3 }],
      tokens: [
        { name: 'ci', sha256, grants: ['group/*', 'other/**'], expires: '2099-01-01' },
        { name: 'old', sha256: hashToken('ggp_old'), grants: ['**'], expires: '2001-01-01' },
      ],
    });
    const run = await runCli(['check', '--config', file]);
    assert.equal(run.exitCode, 0, run.stderr);
    const repository = join(repos, 'group/app.git');
    assert.equal(
      run.stdout,
      [
        `repos: ${repos}`,
        '',
        'projects: 1',
        `PATH       ID  MODULE           VISIBILITY  REPOSITORY`,
        `group/app  7   example.com/app  public      ${repository}`,
        '',
        'groups: 1',
        'PATH   ID',
        'group  3',
        '',
        'tokens: 2',
        'NAME  GRANTS            EXPIRES',
        'ci    group/*,other/**  2099-01-01',
        'old   **                2001-01-01 (expired)',
        '',
        'mirrors: 0',
        '',
      ].join('\n'),
    );
    assert.ok(!run.stdout.includes(sha256));
    const empty = await runCli(['check', '--repos', join(scratch, 'none')]);
    assert.equal(empty.exitCode, 0, empty.stderr);
    assert.equal(
      empty.stdout,
      `repos: ${join(scratch, 'none')}\n\nprojects: 0\n\ngroups: 0\n\ntokens: 0\n\nmirrors: 0\n`,
    );
  });

  test('warns when local projects would be served on an address other machines reach', async () => {
    const open = await runCli(['check', '--repos', repos, '--listen', '0.0.0.0:8080']);
    assert.equal(open.exitCode, 0, open.stderr);
    assert.match(
      open.stdout,
      /\nwarning: 1 project is local \(readable by clients on this machine only\) but the server listens on 0\.0\.0\.0:8080/,
    );
    for (const listen of ['127.0.0.1:8080', '[::1]:8080', 'localhost:8080']) {
      const quiet = await runCli(['check', '--repos', repos, '--listen', listen]);
      assert.doesNotMatch(quiet.stdout, /warning/, listen);
    }
    const file = join(scratch, 'public.json');
    writeConfigAtomically(file, { repos, defaultVisibility: 'public', trustedProxies: ['127.0.0.1'] });
    const decided = await runCli(['check', '--config', file, '--listen', '0.0.0.0:8080']);
    assert.doesNotMatch(decided.stdout, /warning/);
    const flag = await runCli(['check', '--repos', repos, '--trusted-proxies', '127.0.0.1, nope']);
    assert.equal(flag.exitCode, 2);
    assert.match(flag.stderr, /^git-goproxy: config: trustedProxies\[1\]: must be an IP address or a CIDR range/);
  });

  test('fails (exit 2) when two projects claim one module path: neither is served, and the log says so', async () => {
    const second = join(scratch, 'second');
    await addModule(second, 'group/app');
    await addModule(second, 'group/copy');
    const file = join(scratch, 'claimed.json');
    writeConfigAtomically(file, { repos: second, projects: [{ path: 'group/copy', modulePath: `${HOST}/group/app` }] });
    const run = await runCli(['check', '--config', file]);
    assert.equal(run.exitCode, 2, run.stderr);
    assert.match(run.stdout, /^projects: 0$/m);
    const line = `module path ${HOST}/group/app is claimed by projects group/app, group/copy: none of them is served`;
    assert.match(run.stdout, new RegExp(`\nconflicts: 1\nerror: ${line}\n$`));
    assert.ok(run.stderr.split('\n').some((l) => l.includes('"level":"warn"') && l.includes(line)), run.stderr);
  });

  test('exits 2 with the one-line error start-up gives', async () => {
    const file = join(scratch, 'bad.json');
    writeConfigAtomically(file, { repos, groups: [{ path: 'a', id: 1 }, { path: 'b', id: 1 }] });
    const run = await runCli(['check', '--config', file]);
    assert.equal(run.exitCode, 2);
    assert.equal(run.stderr, 'git-goproxy: config: groups[1].id: duplicate id 1\n');
    assert.equal(run.stdout, '');
    const start = await runCli(['--config', file]);
    assert.equal(start.stderr, run.stderr, 'the same error as start-up');
    const listen = await runCli(['check', '--repos', repos, '--listen', 'nowhere']);
    assert.equal(listen.exitCode, 2);
    assert.equal(listen.stderr, 'git-goproxy: --listen: must be HOST:PORT, got "nowhere"\n');
    const vanity = join(scratch, 'vanity.json');
    writeConfigAtomically(vanity, { repos, projects: [{ path: 'group/app', modulePath: 'no-dot/app' }] });
    const bad = await runCli(['check', '--config', vanity]);
    assert.equal(bad.exitCode, 2);
    assert.match(bad.stderr, /^git-goproxy: config: projects: group\/app: modulePath: .*\n$/);
  });
});
