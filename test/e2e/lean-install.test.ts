/**
 * The install for servers (README "Production"), end to end: `npm pack` in a copy of the clone
 * compiles it (`prepare`) and packs the compiled `lib/**\/*.js` and `.d.ts` with the run-time
 * dependencies bundled; `npm install --omit=dev --offline` of that tarball into an empty directory
 * needs no registry, no compiler and no Deno; its `git-goproxy` command serves a module to the go
 * client (and the module's page, its README rendered by a bundled library), and a program beside it
 * imports `createHandler` from `git-goproxy`.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { startCliServer } from '../support/cli-server.ts';
import { createRepo } from '../support/git-fixture.ts';
import { goModDownload } from '../support/go-client.ts';
import { rawGet } from '../support/http-get.ts';
import { copyProject } from '../support/project-copy.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';

const run = promisify(execFile);
const MODULE = 'go.localhost/acme/lean';

/** Every file below `dir`, relative to it. */
async function filesBelow(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) =>
    join(entry.parentPath, entry.name).slice(dir.length + 1)
  );
}

/** Bytes of the files below `dir` (a link to a directory counts as the directory). */
async function sizeOf(dir: string): Promise<number> {
  const { stdout } = await run('du', ['-sbD', dir]);
  return Number(stdout.split('\t')[0]);
}

describe('the lean install for servers', () => {
  let root: string;
  let clone: string;
  let app: string;
  let tarball: string;

  before(async () => {
    root = await makeTempDir('lean-install');
    clone = join(root, 'clone');
    app = join(root, 'app');
    await Promise.all([mkdir(clone), mkdir(app)]);
    await copyProject(clone);
    const { stdout } = await run('npm', ['pack', '--pack-destination', root], { cwd: clone });
    tarball = join(root, stdout.trim().split('\n').at(-1)!);
    await run('npm', ['install', '--omit=dev', '--offline', '--no-audit', '--no-fund', tarball], { cwd: app });
    const repo = await createRepo(join(root, 'repos'), 'acme/lean');
    const files = {
      'go.mod': `module ${MODULE}\n`,
      'lean.go': 'package lean\n',
      'README.md': '# Lean\n\nA **lean** module.\n',
    };
    await repo.commit(files, { date: '2024-07-08T09:10:11Z' });
    await repo.tag('v1.2.3');
  });

  after(async () => {
    await removeDir(root);
  });

  test('the tarball holds the compiled files and the files lib/ runs beside them, no TypeScript source', async () => {
    const packed = join(app, 'node_modules', 'git-goproxy');
    const own = (await filesBelow(packed)).filter((file) => !file.startsWith('node_modules/'));
    assert.ok(own.includes('lib/server.js') && own.includes('lib/index.js') && own.includes('lib/index.d.ts'));
    assert.deepEqual(own.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts')), []);
    assert.deepEqual(own.filter((file) => !file.startsWith('lib/')).sort(), ['README.md', 'package.json']);
    // Every other file of lib/ (a script git runs, say) is packed; the README's screenshot is not needed.
    const sources = (await filesBelow(join(clone, 'lib'))).filter((file) => !/\.(ts|js|map|jpg)$/.test(file));
    assert.deepEqual(sources.filter((file) => !own.includes(`lib/${file}`)), []);
  });

  test("installed with --omit=dev: the run-time dependencies only, a fraction of a clone's", async () => {
    const modules = join(app, 'node_modules');
    for (const tool of ['typescript', 'deno', 'tsx', 'c8', '@types']) {
      assert.equal(
        existsSync(join(modules, tool)) || existsSync(join(modules, 'git-goproxy', 'node_modules', tool)),
        false,
        tool,
      );
    }
    assert.ok(existsSync(join(modules, 'git-goproxy', 'node_modules', 'fflate')), 'fflate is bundled');
    const [size, cloneSize] = [await sizeOf(modules), await sizeOf(join(clone, 'node_modules'))];
    assert.ok(size < cloneSize / 5, `node_modules is ${size} bytes, a clone's ${cloneSize}`);
  });

  test('its git-goproxy command serves a module to the go client, and its page with the README', async () => {
    const server = await startCliServer(['--repos', join(root, 'repos'), '--log-level', 'warn'], {
      command: join(app, 'node_modules', '.bin', 'git-goproxy'),
      cwd: app,
    });
    try {
      const download = await goModDownload(`${MODULE}@v1.2.3`, { proxy: server.url });
      assert.equal(download.json?.Error, undefined, download.stderr);
      assert.equal(download.json?.Version, 'v1.2.3');
      const page = await rawGet(`${server.url}/-/modules/${MODULE}`);
      assert.equal(page.status, 200);
      assert.match(page.body.toString(), /<strong>lean<\/strong>/, 'the README rendered by the bundled markdown-it');
    } finally {
      assert.equal((await server.stop()).code, 0);
    }
  });

  test('a program beside it imports createHandler from git-goproxy', async () => {
    const program = "import('git-goproxy').then((m) => console.log(typeof m.createHandler, typeof m.proxySetup))";
    const { stdout } = await run(process.execPath, ['--input-type=module', '--eval', program], { cwd: app });
    assert.equal(stdout, 'function function\n');
  });
});
