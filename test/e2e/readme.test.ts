/**
 * The README as a reader follows it. Its examples marked runnable (test/support/readme-blocks.ts)
 * run as written, in order, on the Node (and, where the README says so, the Deno) running the tests,
 * in a copy of the clone compiled as `npm install` compiles it: the walk-through, the local HTTPS
 * recipe with `.netrc` and the go client, the embedding examples. What they may not do is keep their
 * fixed ports: each runs with a free one (test/support/listen-anywhere.mjs, or `GIT_GOPROXY_LISTEN`
 * for the Deno command line), which the blocks after it are given in place of 8080 or 8443. Each block
 * runs in the clone with a temp HOME and TMPDIR, an empty module cache and fixed commit dates; a server
 * block runs until the next one starts. The walk-through leaves nothing for git to add, the README
 * cites no issue numbers, and its log examples have the keys of the lines the server writes.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startCliServer } from '../support/cli-server.ts';
import { createRepo } from '../support/git-fixture.ts';
import { goModDownload } from '../support/go-client.ts';
import { rawGet } from '../support/http-get.ts';
import { buildProject, copyProject } from '../support/project-copy.ts';
import { type CodeBlock, codeBlocks, promisedOutput } from '../support/readme-blocks.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';
import { within } from '../support/wait.ts';

const README = fileURLToPath(new URL('../../README.md', import.meta.url));
const LISTEN_HOOK = new URL('../support/listen-anywhere.mjs', import.meta.url).href;
/** The module the walk-through publishes; a server block's GOPROXY check downloads it. */
const WALK_THROUGH_MODULE = 'go.localhost/acme/hello@v1.0.0';
const BLOCK_TIMEOUT_MS = 120_000;
const run = promisify(execFile);

/** A block started as a server: its process group, its output so far, and the port it listens on. */
interface RunningServer {
  readonly child: ChildProcess;
  readonly port: number;
  output(): string;
}

/** Output of a finished block. */
interface Finished {
  readonly code: number | null;
  readonly output: string;
}

describe("the README's runnable examples", () => {
  let root: string;
  let clone: string;
  let blocks: CodeBlock[];
  let server: RunningServer | undefined;
  let blockCount = 0;

  before(async () => {
    blocks = codeBlocks(await readFile(README, 'utf8'));
    root = await makeTempDir('readme');
    clone = join(root, 'clone');
    await Promise.all(['clone', 'home', 'tmp', 'go'].map((dir) => mkdir(join(root, dir))));
    await copyProject(clone);
    await buildProject(clone);
    // A git repository, so that what the walk-through leaves can be compared with .gitignore.
    await run('git', ['init', '-q'], { cwd: clone });
    await writeFile(join(clone, '.git', 'info', 'exclude'), 'node_modules\n'); // a link here, a directory in a clone
    await run('git', ['add', '-A'], { cwd: clone });
  });

  after(async () => {
    await stopServer();
    await removeDir(root);
  });

  /** The environment of every block: a reader's shell in the clone, isolated in the temp dir. */
  function blockEnv(): NodeJS.ProcessEnv {
    return {
      PATH: `${join(clone, 'node_modules', '.bin')}:${process.env['PATH'] ?? '/usr/bin:/bin'}`,
      HOME: join(root, 'home'),
      TMPDIR: join(root, 'tmp'),
      NODE_OPTIONS: `--import=${LISTEN_HOOK}`,
      GIT_GOPROXY_LISTEN: '127.0.0.1:0',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: 'Reader',
      GIT_AUTHOR_EMAIL: 'reader@example.com',
      GIT_COMMITTER_NAME: 'Reader',
      GIT_COMMITTER_EMAIL: 'reader@example.com',
      GIT_AUTHOR_DATE: '2024-05-06T07:08:09Z',
      GIT_COMMITTER_DATE: '2024-05-06T07:08:09Z',
      GOPATH: join(root, 'go'),
      GOMODCACHE: join(root, 'go', `mod-${++blockCount}`),
      GOCACHE: join(root, 'go', 'build'),
      GOFLAGS: '-modcacherw',
      DENO_NO_UPDATE_CHECK: '1',
    };
  }

  /** The block's text with the running server's port for the README's 8080 and 8443. */
  function withPort(text: string, port = server?.port): string {
    return port === undefined ? text : text.replace(/(127\.0\.0\.1|localhost):(8080|8443)\b/g, `$1:${port}`);
  }

  async function start(block: CodeBlock): Promise<ChildProcess> {
    const text = withPort(block.text);
    if (block.lang === 'js') {
      const file = join(clone, `readme-line-${block.line}.mjs`);
      await writeFile(file, text);
      return spawn(process.execPath, [file], { cwd: clone, env: blockEnv(), detached: true });
    }
    assert.equal(block.lang, 'sh', `line ${block.line}: runnable blocks are sh or js`);
    return spawn('bash', ['-e', '-o', 'pipefail', '-c', text], { cwd: clone, env: blockEnv(), detached: true });
  }

  function collect(child: ChildProcess): () => string {
    let output = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    return () => output;
  }

  async function runToEnd(block: CodeBlock): Promise<Finished> {
    const child = await start(block);
    const output = collect(child);
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), BLOCK_TIMEOUT_MS);
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    clearTimeout(timer);
    return { code, output: output() };
  }

  async function startServer(block: CodeBlock): Promise<RunningServer> {
    await stopServer();
    const child = await start(block);
    const output = collect(child);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let done = false;
    exited.then(() => (done = true));
    let port: number | undefined;
    await within(BLOCK_TIMEOUT_MS, () => {
      if (done) throw new Error(`line ${block.line}: exited before it listened:\n${output()}`);
      const listening = /(?:\[readme-test\] listening on |GOPROXY=https?:\/\/)127\.0\.0\.1:([0-9]+)/.exec(output());
      port = listening === null ? undefined : Number(listening[1]);
      return port !== undefined && promisedOutput(withPort(block.text, port)).every((line) => line.test(output()));
    }, `line ${block.line}: the server's promised output (${output()})`);
    return { child, port: port!, output };
  }

  async function stopServer(): Promise<void> {
    if (server === undefined) return;
    const { child } = server;
    server = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const closed = new Promise((resolve) => child.once('close', resolve));
    process.kill(-child.pid!, 'SIGTERM');
    await closed;
  }

  async function runBlock(block: CodeBlock): Promise<void> {
    const mode = block.run!;
    if (mode.kind === 'file') {
      await writeFile(join(clone, mode.name), block.text);
    } else if (mode.kind === 'server') {
      server = await startServer(block);
      if (mode.goproxy !== undefined) {
        const download = await goModDownload(WALK_THROUGH_MODULE, { proxy: withPort(mode.goproxy) });
        assert.equal(
          download.json?.Error,
          undefined,
          `through ${mode.goproxy}: ${download.stderr}\n${server.output()}`,
        );
      }
    } else {
      const { code, output } = await runToEnd(block);
      assert.equal(code, 0, `line ${block.line} exited with ${code}:\n${output}`);
      for (const line of promisedOutput(withPort(block.text))) {
        assert.match(output, line, `line ${block.line}: the output the README shows`);
      }
    }
  }

  test('every JavaScript and TypeScript example that imports something is marked runnable', () => {
    const examples = blocks.filter((block) => /^(js|javascript|ts|typescript|mjs)$/.test(block.lang));
    const unmarked = examples.filter((block) => /^import /m.test(block.text) && !block.run);
    assert.deepEqual(unmarked.map((block) => `line ${block.line}`), []);
    assert.ok(blocks.some((block) => block.run !== undefined && block.section.startsWith('Walk-through')));
  });

  test('the README cites no issue numbers: sections are linked instead', async () => {
    assert.deepEqual((await readFile(README, 'utf8')).match(/\bissues? #[0-9]+/gi) ?? [], []);
  });

  test('the runnable examples run as written, in order', { timeout: 600_000 }, async (t) => {
    const runnable = blocks.filter((block) => block.run !== undefined);
    for (const [index, block] of runnable.entries()) {
      await t.test(`line ${block.line} (${block.section}): ${block.run!.kind}`, () => runBlock(block));
      const next = runnable[index + 1];
      if (block.section.startsWith('Walk-through') && !next?.section.startsWith('Walk-through')) {
        const { stdout } = await run('git', ['ls-files', '--others', '--exclude-standard'], { cwd: clone });
        assert.equal(stdout, '', 'what the walk-through made in the clone is ignored by .gitignore');
      }
    }
  });
});

describe("the README's log examples", () => {
  let root: string;

  before(async () => {
    root = await makeTempDir('readme-log');
  });

  after(async () => {
    await removeDir(root);
  });

  test('have the keys, in order, of lines the server writes with the same msg', async () => {
    const repo = await createRepo(join(root, 'repos'), 'acme/hello');
    await repo.commit({ 'go.mod': 'module go.localhost/acme/hello\n', 'hello.go': 'package hello\n' }, {
      date: '2024-01-02T03:04:05Z',
    });
    await repo.tag('v1.0.0');
    const sha256 = (secret: string) => createHash('sha256').update(secret).digest('hex');
    const config = join(root, 'config.json');
    const tokens = [
      { name: 'alice', sha256: sha256('alice-secret'), grants: ['**'] },
      { name: 'old', sha256: sha256('old-secret'), grants: ['**'], expires: '2020-01-01' },
    ];
    // A mirror of a remote that is not there yet: its fetch fails, then succeeds once it is.
    const remote = join(root, 'remotes', 'lib.git');
    const mirrors = [{ url: `file://${remote}`, path: 'mirrors/lib', fetchInterval: 1 }];
    await writeFile(config, JSON.stringify({ repos: 'repos', defaultVisibility: 'private', tokens, mirrors }));
    const server = await startCliServer(['--config', config]);
    const written = () => server.logLines();
    const seen = (msg: string) => () => written().some((line) => line['msg'] === msg);
    try {
      await within(30_000, seen('mirror fetch failed: its last fetched state stays served'), 'the failed fetch');
      const upstream = await createRepo(join(root, 'remotes'), 'lib');
      await upstream.commit({ 'go.mod': 'module go.localhost/mirrors/lib\n' }, { date: '2024-01-02T03:04:05Z' });
      await within(30_000, seen('mirror fetch succeeded again'), 'the fetch after the remote came');

      const basic = (secret: string) => ({ Authorization: `Basic ${Buffer.from(`x:${secret}`).toString('base64')}` });
      assert.equal((await rawGet(`${server.url}/go.localhost/acme/hello/@v/list`)).status, 404);
      assert.equal((await rawGet(`${server.url}/go.localhost/acme/hello/@v/list`, basic('old-secret'))).status, 404);
      assert.equal(
        (await rawGet(`${server.url}/go.localhost/acme/hello/@v/v1.0.0.zip`, basic('alice-secret'))).status,
        200,
      );
      await writeFile(config, JSON.stringify({ repos: 'repos', tokens: [{ ...tokens[0], sha256: 'not hex' }] }));
      await within(10_000, seen('config not applied: the previous config stays in force'), 'the refused reload');

      const shown = shownLogLines(await readFile(README, 'utf8'));
      assert.ok(shown.length >= 6, 'the access line, the two auth lines, the mirror lines and the refused reload');
      for (const line of shown) {
        const keys = Object.keys(line).join(',');
        const real = written().filter((candidate) => candidate['msg'] === line['msg']);
        assert.ok(real.length > 0, `no line ${JSON.stringify(line['msg'])} was written`);
        assert.ok(
          real.some((candidate) => Object.keys(candidate).join(',') === keys),
          `the README shows ${keys}; the server wrote ${
            real.map((candidate) => Object.keys(candidate).join(',')).join(' | ')
          }`,
        );
      }
    } finally {
      await server.stop();
    }
  });
});

/** The JSON log lines of the README's code blocks without a language: the objects with a `msg`. */
function shownLogLines(markdown: string): Array<Record<string, unknown>> {
  return codeBlocks(markdown)
    .filter((block) => block.lang === '')
    .flatMap((block) => block.text.split('\n'))
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => 'msg' in line);
}
