/**
 * `npm run bench [-- --quick] [--only=zip,download,load,upstream] [--wide] [--compare FILE]
 * [--report FILE] [--chart FILE]`: the performance targets of README "Performance", measured in one
 * run on this machine.
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
 * Its servers log warnings only. Shows one progress line per phase on stderr with the time left
 * (progress.ts), writes everything to `bench/results/<date>.json` and the zip throughput chart to
 * `<date>.svg` (chart.ts), then prints the report on stdout (report.ts): the details, the change
 * against `--compare FILE` (compare.ts), and the verdict table last; within 100 columns unless
 * `--wide`. `--report FILE` prints the report of an earlier result file instead of running;
 * `--chart FILE` writes the zip throughput chart there too (bench/charts/, which the READMEs embed).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gitEnvironment } from '../lib/git/run.ts';
import { startDirectOracle } from '../test/support/direct-oracle.ts';
import { DIRECT_HOST, goModDownload } from '../test/support/go-client.ts';
import { makeTempDir, removeDir } from '../test/support/temp.ts';
import { type GeneratedModule, generateModule, moduleSpecs } from './generate.ts';
import { zipThroughputSvg } from './chart.ts';
import { formatComparison } from './compare.ts';
import { type LoadResult, runLoad } from './load.ts';
import { type PlannedPhase, Progress } from './progress.ts';
import { formatDetails, verdictTable } from './report.ts';
import {
  type BenchResult,
  CONCURRENCIES,
  type DownloadRow,
  type Level,
  LEVELS,
  LOAD_ROUNDS,
  type LoadRow,
  MB,
  type ModuleRow,
  type Part,
  PARTS,
  type ZipRow,
} from './result.ts';
import { measureUpstream } from './upstream.ts';

const PROJECT = dirname(dirname(fileURLToPath(import.meta.url)));
const RESULTS = join(PROJECT, 'bench', 'results');
/** The module host the direct-mode oracle answers for. */
const MODULE_HOST = DIRECT_HOST;
const VERSION = 'v1.1.0';
const LEVEL_FLAGS: Record<Level, string[]> = { store: ['-0'], fast: ['-1'], default: [] };

/** Seconds each phase typically takes (a full run and a quick one on 2 cores), until a result file says. */
const TYPICAL_SECONDS: Record<'full' | 'quick', Record<'compile' | 'generate' | Part, number>> = {
  full: { compile: 20, generate: 5, zip: 250, download: 40, load: 60, upstream: 30 },
  quick: { compile: 20, generate: 5, zip: 30, download: 10, load: 35, upstream: 10 },
};

interface Options {
  readonly quick: boolean;
  readonly parts: readonly Part[];
  readonly wide: boolean;
  /** An earlier result file to compare with. */
  readonly compare?: string;
  /** A result file to report on instead of running. */
  readonly report?: string;
  /** Where to write the zip throughput chart besides bench/results/ (the one the READMEs embed). */
  readonly chart?: string;
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      wide: { type: 'boolean', default: false },
      compare: { type: 'string' },
      report: { type: 'string' },
      chart: { type: 'string' },
    },
  });
  const parts = values.only === undefined ? [...PARTS] : values.only.split(',').map((name) => {
    const part = PARTS.find((known) => known === name);
    if (part === undefined) {
      throw new Error(`--only: no part ${JSON.stringify(name)} (${PARTS.join(', ')}, or scale alone)`);
    }
    return part;
  });
  return { ...values, parts };
}

/** What runs now, on stderr (the tables go to stdout); made by `main` with its plan. */
let progress = new Progress();

async function main(): Promise<void> {
  const options = readOptions();
  const before = options.compare === undefined ? undefined : await readResult(options.compare);
  const result = options.report === undefined ? await measure(options) : await readResult(options.report);
  if (options.chart !== undefined) {
    await writeFile(options.chart, zipThroughputSvg(result));
    progress.note(`zip throughput chart written to ${options.chart}`);
  }
  const sections = [formatDetails(result, options)];
  if (before !== undefined) sections.push(formatComparison(before, result, options));
  sections.push(verdictTable(result, options));
  process.stdout.write(`${sections.join('\n\n')}\n`);
}

/** Runs the parts, writes the result file and its chart, and returns the result. */
async function measure({ quick, parts }: Options): Promise<BenchResult> {
  progress = new Progress(await phasePlan(quick, parts));
  const started = Date.now();
  // The server runs as users run it, `node lib/server.js`: compiled now, so it is this source.
  progress.phase('compile', 'compiling lib/', 'npm run build');
  await exited(spawn('npm', ['run', '--silent', 'build'], { cwd: PROJECT, stdio: 'inherit' }), 'npm run build');
  const reposRoot = join(PROJECT, 'bench', '.cache', quick ? 'quick' : 'full');
  const modules: GeneratedModule[] = [];
  const specs = moduleSpecs(quick);
  progress.phase('generate', `modules under bench/.cache/${quick ? 'quick' : 'full'}`);
  for (const spec of specs) {
    progress.step(`${spec.name} (${spec.description})`, modules.length, specs.length);
    modules.push(await generateModule(reposRoot, spec, MODULE_HOST));
  }
  const reused = modules.filter((module) => module.cached).length;
  progress.note(`modules: ${reused === 0 ? 'none' : reused} from the cache, ${modules.length - reused} generated`);
  const scratch = await makeTempDir('bench');
  try {
    const zips: ZipRow[] = [];
    if (parts.includes('zip')) progress.phase('zip', 'zip streaming');
    for (const level of parts.includes('zip') ? LEVELS : []) {
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
      downloads = parts.includes('download') ? [await measureDownload(server, reposRoot, modules[0])] : [];
      loads = parts.includes('load') ? await measureLoad(server, modules[0], quick ? 1000 : 2000) : [];
    } finally {
      await server.stop();
    }
    if (parts.includes('upstream')) progress.phase('upstream', 'a module from an upstream proxy');
    const upstreamRow = parts.includes('upstream')
      ? await measureUpstream({
        cacheDir: reposRoot,
        quick,
        startServer: (more) => startServer(reposRoot, 'default', scratch, more),
        resetPeakRss,
        peakRssMB,
      })
      : undefined;
    progress.end();
    const result: BenchResult = {
      date: new Date().toISOString(),
      quick,
      parts,
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model,
        memoryGB: Math.round(totalmem() / 2 ** 30),
        node: process.version,
        git: await gitVersion(),
      },
      modules: modules.map(describe),
      zips,
      downloads,
      loads,
      upstream: upstreamRow === undefined ? [] : [upstreamRow],
      seconds: (Date.now() - started) / 1000,
      phaseSeconds: progress.phaseSeconds,
    };
    await writeResult(result);
    return result;
  } finally {
    await removeDir(scratch);
  }
}

/** `bench/results/<date>.json`, and `<date>.svg` with the zip throughput when the zips were measured. */
async function writeResult(result: BenchResult): Promise<void> {
  const file = join(RESULTS, result.date.replace(/[:.]/g, '-'));
  await mkdir(RESULTS, { recursive: true });
  await writeFile(`${file}.json`, `${JSON.stringify(result, null, 2)}\n`);
  progress.note(`results written to ${file}.json`);
  if (result.zips.length > 0) {
    await writeFile(`${file}.svg`, zipThroughputSvg(result));
    progress.note(`zip throughput chart written to ${file}.svg`);
  }
}

async function readResult(file: string): Promise<BenchResult> {
  return JSON.parse(await readFile(file, 'utf8')) as BenchResult;
}

/**
 * The phases this run will go through, each with the seconds it took in the latest earlier result
 * of the same size (quick or full) that has them, or typical seconds.
 */
async function phasePlan(quick: boolean, parts: readonly Part[]): Promise<PlannedPhase[]> {
  const names = (await readdir(RESULTS).catch(() => [] as string[])).filter((name) => /^[0-9].*\.json$/.test(name))
    .sort();
  let seconds: Readonly<Record<string, number>> = TYPICAL_SECONDS[quick ? 'quick' : 'full'];
  for (const name of names.reverse()) {
    const earlier = await readResult(join(RESULTS, name)).catch(() => undefined);
    if (earlier?.quick === quick && earlier.phaseSeconds !== undefined) {
      seconds = { ...seconds, ...earlier.phaseSeconds };
      break;
    }
  }
  return ['compile', 'generate', ...parts].map((key) => ({ key, expectedSeconds: seconds[key] ?? 0 }));
}

function describe(module: GeneratedModule): ModuleRow {
  return {
    name: module.spec.name,
    description: module.spec.description,
    modulePath: module.modulePath,
    files: module.fileCount,
    megabytes: module.totalBytes / MB,
    cached: module.cached,
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
  progress.phase('download', `go mod download ${target}`, 'direct mode');
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
  progress.phase('load', 'requests per second');
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

// `--only=scale`: the scale benchmark of issue #16, in its own file.
if (process.argv.includes('--only=scale')) await import('./scale.ts');
else await main();
