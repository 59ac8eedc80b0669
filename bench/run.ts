/**
 * `npm run bench [-- --quick] [--only=zip,download,load,upstream]`: the benchmark of issue #6, measured in one run on this machine.
 *
 * 1. Zip streaming, per generated module and compression level: `git archive --format=zip` of the
 *    same commit to /dev/null (as git runs by default, and with the environment the server gives
 *    its git children), against the server (a child process, `node lib/server.js`, compiled first)
 *    streaming the module zip over loopback HTTP to a client that drops it: the first stream (its
 *    files hashed for the pin), a repeat (not hashed again), seconds, MB/s, time to first byte and
 *    the server's peak RSS (VmHWM, reset through /proc/<pid>/clear_refs); and a second server with
 *    the zip cache on: the build, then the zip from disk.
 * 2. `go mod download` of the largest module through the proxy against direct mode (what Athens
 *    does on a cache miss), with the two `h1:` sums compared.
 * 3. `list`, `.info`, `.mod` and `@latest` requests per second at several concurrencies.
 * 4. A toolchain-sized module from an upstream proxy: downloaded from the upstream directly, then
 *    through the server, first (into its cache) and from its cache (upstream.ts).
 *
 * Its servers log warnings only. Shows one progress line per phase on stderr (progress.ts), prints
 * one table per part on stdout and writes everything to `bench/results/<date>.json`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gitEnvironment } from '../lib/git/run.ts';
import { startDirectOracle } from '../test/support/direct-oracle.ts';
import { DIRECT_HOST, goModDownload } from '../test/support/go-client.ts';
import { makeTempDir, removeDir } from '../test/support/temp.ts';
import { type GeneratedModule, generateModule, moduleSpecs } from './generate.ts';
import { type LoadResult, runLoad } from './load.ts';
import { Progress } from './progress.ts';
import { measureUpstream, type UpstreamRow } from './upstream.ts';

type Level = 'store' | 'fast' | 'default';

const PROJECT = dirname(dirname(fileURLToPath(import.meta.url)));
/** The module host the direct-mode oracle answers for. */
const MODULE_HOST = DIRECT_HOST;
const VERSION = 'v1.1.0';
const LEVELS: readonly Level[] = ['store', 'fast', 'default'];
const LEVEL_FLAGS: Record<Level, string[]> = { store: ['-0'], fast: ['-1'], default: [] };
const CONCURRENCIES = [1, 16, 32, 64];
const MB = 1e6;

/** One zip measurement. */
interface ZipRow {
  module: string;
  level: Level;
  zipBytes: number;
  /** Plain git archive; measured at `store` and `default` only (at `fast` it costs minutes on 100,000 files). */
  gitSeconds: number | undefined;
  gitTunedSeconds: number;
  /** git archive as the server runs it, its output read through a pipe by a Node process that drops it. */
  gitPipeSeconds: number;
  /** The first stream of the version: its files are hashed for the pin as they go. */
  serverSeconds: number;
  /** A second stream: the pin is checked, the zip is not hashed again. */
  repeatSeconds: number;
  /** Time to first byte of the first stream (tree listed and planned) and of the repeat (layout kept). */
  firstTtfbMs: number;
  ttfbMs: number;
  /** Peak RSS over both streams, and over the repeat alone. */
  serverPeakRssMB: number;
  repeatPeakRssMB: number;
  /** With the zip cache on: the build (first request) and a request served from disk. */
  cacheBuildSeconds: number;
  cachedSeconds: number;
}

interface DownloadRow {
  module: string;
  directSeconds: number;
  proxySeconds: number;
  sumsEqual: boolean;
  serverPeakRssMB: number;
}

interface LoadRow extends LoadResult {
  op: string;
  concurrency: number;
  /** Requests per second of each round; the row's figures are those of the median round. */
  roundsPerSecond: number[];
}

const LOAD_ROUNDS = 3;
/** What runs now, on stderr (the tables go to stdout). */
const progress = new Progress();

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const started = Date.now();
  // The server runs as users run it, `node lib/server.js`: compiled now, so it is this source.
  progress.phase('compiling lib/', 'npm run build');
  await exited(spawn('npm', ['run', '--silent', 'build'], { cwd: PROJECT, stdio: 'inherit' }), 'npm run build');
  const reposRoot = join(PROJECT, 'bench', '.cache', quick ? 'quick' : 'full');
  const modules: GeneratedModule[] = [];
  const specs = moduleSpecs(quick);
  progress.phase(`generating modules under ${reposRoot} (cached)`);
  for (const spec of specs) {
    progress.step(`${spec.name} (${spec.description})`, modules.length, specs.length);
    modules.push(await generateModule(reposRoot, spec, MODULE_HOST));
  }
  const scratch = await makeTempDir('bench');
  try {
    const zips: ZipRow[] = [];
    if (only('zip')) progress.phase('zip streaming');
    for (const level of only('zip') ? LEVELS : []) {
      const cached = await startServer(reposRoot, level, scratch, { zipCacheMiB: 16384 });
      try {
        for (const module of modules) {
          // A fresh server per module, so that its RSS is this module's, not left over from a larger one.
          const server = await startServer(reposRoot, level, scratch);
          try {
            progress.step(`${module.spec.name} at ${level}`, zips.length, LEVELS.length * modules.length);
            zips.push(await measureZip(server, cached, module, level));
          } finally {
            await server.stop();
          }
        }
      } finally {
        await cached.stop();
      }
    }
    const server = await startServer(reposRoot, 'default', scratch);
    let downloads: DownloadRow[];
    let loads: LoadRow[];
    try {
      downloads = only('download') ? [await measureDownload(server, reposRoot, modules[0])] : [];
      loads = only('load') ? await measureLoad(server, modules[0], quick ? 1000 : 2000) : [];
    } finally {
      await server.stop();
    }
    if (only('upstream')) progress.phase('a module from an upstream proxy');
    const upstreamRow = only('upstream')
      ? await measureUpstream({
        cacheDir: reposRoot,
        quick,
        startServer: (more) => startServer(reposRoot, 'default', scratch, more),
        resetPeakRss,
        peakRssMB,
      })
      : undefined;
    const machine = {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      memoryGB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      git: await gitVersion(),
    };
    const result = {
      date: new Date().toISOString(),
      quick,
      machine,
      modules: modules.map(describe),
      zips,
      downloads,
      loads,
      upstream: upstreamRow === undefined ? [] : [upstreamRow],
      seconds: (Date.now() - started) / 1000,
    };
    progress.end();
    printReport(result);
    const file = join(PROJECT, 'bench', 'results', `${result.date.replace(/[:.]/g, '-')}.json`);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
    progress.note(`results written to ${file}`);
  } finally {
    await removeDir(scratch);
  }
}

/** Whether a part is to be run: all by default, or those named by `--only=zip,download,load,upstream`. */
function only(part: 'zip' | 'download' | 'load' | 'upstream'): boolean {
  const flag = process.argv.find((arg) => arg.startsWith('--only='));
  return flag === undefined || flag.slice('--only='.length).split(',').includes(part);
}

function describe(module: GeneratedModule) {
  return {
    name: module.spec.name,
    description: module.spec.description,
    modulePath: module.modulePath,
    files: module.fileCount,
    megabytes: module.totalBytes / MB,
  };
}

// ——— 1. zip streaming ———

async function measureZip(
  server: ServerProcess,
  cached: ServerProcess,
  module: GeneratedModule,
  level: Level,
): Promise<ZipRow> {
  await runArchive(module.gitDir, 'store', process.env); // warms the page cache for both sides
  const gitSeconds = level === 'fast' ? undefined : await runArchive(module.gitDir, level, { PATH: process.env.PATH });
  const gitTunedSeconds = await runArchive(module.gitDir, level, gitEnvironment());
  const gitPipeSeconds = await runArchiveIntoPipe(module.gitDir, level, gitEnvironment());
  const base = `${server.url}/${module.modulePath}/@v/${VERSION}`;
  await fetchBody(`${base}.info`); // what the go command asks first; opens the repository
  await resetPeakRss(server.pid);
  const stream = await fetchBody(`${base}.zip`);
  const firstPeakRssMB = await peakRssMB(server.pid);
  await resetPeakRss(server.pid);
  const repeat = await fetchBody(`${base}.zip`);
  const repeatPeakRssMB = await peakRssMB(server.pid);
  const cachedBase = `${cached.url}/${module.modulePath}/@v/${VERSION}`;
  const build = await fetchBody(`${cachedBase}.zip`);
  const fromDisk = await fetchBody(`${cachedBase}.zip`);
  return {
    module: module.spec.name,
    level,
    zipBytes: stream.bytes,
    gitSeconds,
    gitTunedSeconds,
    gitPipeSeconds,
    serverSeconds: stream.seconds,
    repeatSeconds: repeat.seconds,
    firstTtfbMs: stream.ttfbMs,
    ttfbMs: repeat.ttfbMs,
    serverPeakRssMB: Math.max(firstPeakRssMB, repeatPeakRssMB),
    repeatPeakRssMB,
    cacheBuildSeconds: build.seconds,
    cachedSeconds: fromDisk.seconds,
  };
}

/** Seconds `git archive --format=zip` of the version takes, as the server runs it, into /dev/null. */
async function runArchive(gitDir: string, level: Level, env: NodeJS.ProcessEnv): Promise<number> {
  const devNull = openSync('/dev/null', 'w');
  const started = performance.now();
  try {
    await exited(
      spawn('git', archiveArgs(gitDir, level), { stdio: ['ignore', devNull, 'inherit'], env }),
      'git archive',
    );
  } finally {
    closeSync(devNull);
  }
  return (performance.now() - started) / 1000;
}

/** `git archive` of the version as the server runs it (the same eol settings), at `level`, to stdout. */
function archiveArgs(gitDir: string, level: Level): string[] {
  return [
    `--git-dir=${gitDir}`,
    '-c',
    'core.autocrlf=input',
    '-c',
    'core.eol=lf',
    'archive',
    '--format=zip',
    ...LEVEL_FLAGS[level],
    VERSION,
  ];
}

/**
 * Seconds `git archive` takes when its output goes somewhere: through a pipe into this process,
 * which drops it. Writing into /dev/null costs git nothing; a pipe costs it a system call and often a
 * wake-up of the reader per piece, which no server that sends the zip avoids.
 */
async function runArchiveIntoPipe(gitDir: string, level: Level, env: NodeJS.ProcessEnv): Promise<number> {
  const started = performance.now();
  const child = spawn('git', archiveArgs(gitDir, level), { stdio: ['ignore', 'pipe', 'inherit'], env });
  child.stdout!.resume();
  await exited(child, 'git archive');
  return (performance.now() - started) / 1000;
}

/** GETs a URL, dropping the body: status must be 200. */
function fetchBody(url: string): Promise<{ bytes: number; seconds: number; ttfbMs: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let firstByte: number | undefined;
    let bytes = 0;
    get(url, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`${url}: status ${res.statusCode}`));
        return;
      }
      res.on('data', (chunk: Buffer) => {
        firstByte ??= performance.now();
        bytes += chunk.length;
      });
      res.once('end', () => {
        const ended = performance.now();
        resolve({ bytes, seconds: (ended - started) / 1000, ttfbMs: (firstByte ?? ended) - started });
      });
      res.once('error', reject);
    }).once('error', reject);
  });
}

// ——— 2. go mod download, proxy against direct mode ———

async function measureDownload(
  server: ServerProcess,
  reposRoot: string,
  module: GeneratedModule,
): Promise<DownloadRow> {
  const target = `${module.modulePath}@${VERSION}`;
  progress.phase(`go mod download ${target}`, 'direct mode');
  const oracle = await startDirectOracle(reposRoot);
  let direct;
  let directSeconds: number;
  try {
    const startedDirect = performance.now();
    direct = await goModDownload(target, oracle.mode, { timeoutMs: 300_000 });
    directSeconds = (performance.now() - startedDirect) / 1000;
  } finally {
    await oracle.close();
  }
  progress.step('through the proxy');
  await resetPeakRss(server.pid);
  const startedProxy = performance.now();
  const proxied = await goModDownload(target, { proxy: server.url }, { timeoutMs: 300_000 });
  const proxySeconds = (performance.now() - startedProxy) / 1000;
  for (const run of [direct, proxied]) {
    if (run.exitCode !== 0 || run.json?.Sum === undefined) {
      throw new Error(`go mod download ${target} failed: ${run.stderr.trim()}`);
    }
  }
  return {
    module: module.spec.name,
    directSeconds,
    proxySeconds,
    sumsEqual: direct.json?.Sum === proxied.json?.Sum && direct.json?.GoModSum === proxied.json?.GoModSum,
    serverPeakRssMB: await peakRssMB(server.pid),
  };
}

// ——— 3. small requests per second ———

/**
 * Each op at each concurrency, three rounds interleaved (so that a slow moment of a shared machine
 * hits every cell alike); a cell reports its median round, with every round's rate beside it and
 * the errors of all rounds.
 */
async function measureLoad(server: ServerProcess, module: GeneratedModule, durationMs: number): Promise<LoadRow[]> {
  const base = `/${module.modulePath}/@v/`;
  const ops: Record<string, string[]> = {
    list: [`${base}list`],
    info: [`${base}v1.0.0.info`, `${base}${VERSION}.info`],
    mod: [`${base}v1.0.0.mod`, `${base}${VERSION}.mod`],
    latest: [`/${module.modulePath}/@latest`],
  };
  const rounds = new Map<string, LoadResult[]>();
  const runs = LOAD_ROUNDS * Object.keys(ops).length * CONCURRENCIES.length;
  progress.phase('requests per second');
  for (let round = 1; round <= LOAD_ROUNDS; round++) {
    for (const [op, paths] of Object.entries(ops)) {
      for (const concurrency of CONCURRENCIES) {
        const key = `${op} ${concurrency}`;
        progress.step(
          `${op} at concurrency ${concurrency}, round ${round} of ${LOAD_ROUNDS}`,
          [...rounds.values()].flat().length,
          runs,
        );
        rounds.set(key, [
          ...(rounds.get(key) ?? []),
          await runLoad({ url: server.url, paths, concurrency, durationMs }),
        ]);
      }
    }
  }
  return Object.keys(ops).flatMap((op) =>
    CONCURRENCIES.map((concurrency) => {
      const results = rounds.get(`${op} ${concurrency}`)!;
      const median = [...results].sort((a, b) =>
        a.requestsPerSecond - b.requestsPerSecond
      )[Math.floor(results.length / 2)]!;
      const errors = results.reduce((sum, result) => sum + result.errors, 0); // failures of any round count
      return { op, concurrency, ...median, errors, roundsPerSecond: results.map((result) => result.requestsPerSecond) };
    })
  );
}

// ——— the server as a child process ———

interface ServerProcess {
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

async function startServer(
  reposRoot: string,
  level: Level,
  scratch: string,
  more: { zipCacheMiB?: number; upstream?: string[] } = {},
): Promise<ServerProcess> {
  const name = `${level}${more.zipCacheMiB === undefined ? '' : '-cached'}${
    more.upstream === undefined ? '' : '-upstream'
  }`;
  const config = join(scratch, `config-${name}.json`);
  await writeFile(config, JSON.stringify({ compression: level, dataDir: join(scratch, `data-${name}`), ...more }));
  // Warnings only: an access-log line per request would fill the terminal and cost the server time while it is measured.
  const args = [
    join(PROJECT, 'lib', 'server.js'),
    '--repos',
    reposRoot,
    '--listen',
    '127.0.0.1:0',
    '--module-host',
    MODULE_HOST,
    '--config',
    config,
    '--log-level',
    'warn',
  ];
  const child = spawn(process.execPath, args, { cwd: PROJECT, stdio: ['ignore', 'pipe', 'inherit'] });
  const done = exited(child, 'server').catch(() => undefined);
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /GOPROXY=([^\s,]+)/.exec(output);
      if (match) resolve(match[1]);
    });
    child.once('close', (code) => reject(new Error(`server exited with ${code} before listening: ${output}`)));
  });
  return {
    url,
    pid: child.pid!,
    stop: async () => {
      child.kill('SIGTERM');
      await done;
    },
  };
}

/** Resets the peak RSS (VmHWM) of a process (Linux `clear_refs` value 5). */
function resetPeakRss(pid: number): Promise<void> {
  return writeFile(`/proc/${pid}/clear_refs`, '5');
}

async function peakRssMB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /^VmHWM:\s+(\d+) kB/m.exec(status);
  if (!match) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return (Number(match[1]) * 1024) / MB;
}

function exited(child: ChildProcess, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once(
      'close',
      (
        code,
        signal,
      ) => (code === 0 || signal === 'SIGTERM'
        ? resolve()
        : reject(new Error(`${what} exited with ${code ?? signal}`))),
    );
  });
}

async function gitVersion(): Promise<string> {
  const child = spawn('git', ['--version'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let text = '';
  child.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  await exited(child, 'git --version');
  return text.trim();
}

// ——— the report ———

function printReport(
  result: {
    date: string;
    machine: { cpus: number; cpuModel?: string };
    zips: ZipRow[];
    downloads: DownloadRow[];
    loads: LoadRow[];
    upstream: UpstreamRow[];
    seconds: number;
    modules: ReturnType<typeof describe>[];
  },
): void {
  const out: string[] = [];
  out.push(
    `git-goproxy benchmark, ${result.date.slice(0, 10)}, ${result.machine.cpus} cores (${
      result.machine.cpuModel ?? 'unknown cpu'
    }), ${result.seconds.toFixed(0)} s`,
  );
  out.push(
    '',
    table(['module', 'files', 'MB'], result.modules.map((m) => [m.name, String(m.files), m.megabytes.toFixed(1)])),
  );
  out.push(
    '',
    "Zip streaming (git archive to /dev/null: plain environment, and the server's git environment; git(env) into a pipe read by Node;",
    'server over loopback HTTP: first stream listed, planned and hashed for the pin, repeat neither; with the zip cache: build, then from',
    'disk; ratios are git(env) s / server s, and git→pipe s / server s; RSS: peak over both streams, and over the repeat)',
    table(
      [
        'module',
        'level',
        'zip MB',
        'git s',
        'git(env) s',
        'git→pipe s',
        'first s',
        'repeat s',
        'repeat MB/s',
        'first vs git(env)',
        'repeat vs git(env)',
        'repeat vs git→pipe',
        'TTFB ms first/repeat',
        'server RSS MB both/repeat',
        'cache build s',
        'cached s',
        'cached vs git(env)',
      ],
      result.zips.map((z) => [
        z.module,
        z.level,
        (z.zipBytes / MB).toFixed(1),
        z.gitSeconds?.toFixed(2) ?? '-',
        z.gitTunedSeconds.toFixed(2),
        z.gitPipeSeconds.toFixed(2),
        z.serverSeconds.toFixed(2),
        z.repeatSeconds.toFixed(2),
        (z.zipBytes / MB / z.repeatSeconds).toFixed(0),
        ratio(z.gitTunedSeconds, z.serverSeconds),
        ratio(z.gitTunedSeconds, z.repeatSeconds),
        ratio(z.gitPipeSeconds, z.repeatSeconds),
        `${z.firstTtfbMs.toFixed(0)}/${z.ttfbMs.toFixed(0)}`,
        `${z.serverPeakRssMB.toFixed(0)}/${z.repeatPeakRssMB.toFixed(0)}`,
        z.cacheBuildSeconds.toFixed(2),
        z.cachedSeconds.toFixed(2),
        ratio(z.gitTunedSeconds, z.cachedSeconds),
      ]),
    ),
  );
  out.push(
    '',
    'go mod download (cold module cache)',
    table(
      ['module', 'direct s', 'proxy s', 'speed-up', 'same h1', 'server RSS MB'],
      result.downloads.map((
        d,
      ) => [
        d.module,
        d.directSeconds.toFixed(1),
        d.proxySeconds.toFixed(1),
        `${(d.directSeconds / d.proxySeconds).toFixed(1)}x`,
        d.sumsEqual ? 'yes' : 'NO',
        d.serverPeakRssMB.toFixed(0),
      ]),
    ),
  );
  out.push(
    '',
    `Requests per second (keep-alive, closed loop; the median of ${LOAD_ROUNDS} rounds)`,
    table(
      ['op', ...CONCURRENCIES.map((c) => `c=${c} req/s`), 'p99 ms @64', 'errors'],
      [...new Set(result.loads.map((l) => l.op))].map((op) => {
        const rows = result.loads.filter((l) => l.op === op);
        const at64 = rows.find((l) => l.concurrency === 64);
        return [
          op,
          ...rows.map((l) => l.requestsPerSecond.toFixed(0)),
          at64 ? at64.p99Ms.toFixed(1) : '',
          String(rows.reduce((n, l) => n + l.errors, 0)),
        ];
      }),
    ),
  );
  out.push(
    '',
    'A module from an upstream proxy (loopback HTTP; the upstream directly: the best of three; through the server: the first',
    'download streams from the upstream into its cache, hashed for the pin; the second comes from the cache; RSS: peak over both)',
    table(
      [
        'module',
        'zip MB',
        'upstream MB/s',
        'first MB/s',
        'first vs upstream',
        'cached MB/s',
        'cached vs upstream',
        'server RSS MB',
        'upstream requests (cached)',
      ],
      result.upstream.map((u) => [
        u.module,
        (u.zipBytes / MB).toFixed(0),
        (u.zipBytes / MB / u.staticSeconds).toFixed(0),
        (u.zipBytes / MB / u.firstSeconds).toFixed(0),
        ratio(u.staticSeconds, u.firstSeconds),
        (u.zipBytes / MB / u.cachedSeconds).toFixed(0),
        ratio(u.staticSeconds, u.cachedSeconds),
        u.serverPeakRssMB.toFixed(0),
        String(u.cachedUpstreamRequests),
      ]),
    ),
  );
  process.stdout.write(`${out.join('\n')}\n`);
}

function ratio(baselineSeconds: number, seconds: number): string {
  return `${(baselineSeconds / seconds).toFixed(2)}x`;
}

/** A Markdown table (readable as plain text too). */
function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

// `--only=scale`: the scale benchmark of issue #16, in its own file.
if (process.argv.includes('--only=scale')) await import('./scale.ts');
else await main();
