/**
 * `npm run bench -- --only=scale [--quick]`: what the proxy costs at the scale of issue #16, every
 * figure measured in one run against a tagged `.info` of the same server.
 *
 * Generates (in a temporary directory) 20,000 minimal bare repositories in 200 groups, a monorepo of
 * 200 nested modules × 100 annotated tags (20,000 tags, packed) plus 20,000 `refs/pull/*`, a
 * repository whose root module has 300 versions, and a 1,000,000-line pin record (`--quick`: a
 * tenth of each). The server runs as users run it (`node lib/server.js`, compiled first, logging
 * warnings only), as a child process, so that its start-up and resident memory are its own.
 *
 * Measured: start-up with the repositories; the first request to the monorepo; the latency of a
 * known `.info` while 16 clients flood unknown modules (max and p99); requests per second at 16
 * clients of a tagged `.info` (the baseline), a package-path probe (404), `list` of a nested module
 * and of the 300-version module, `@latest` and `main.info`; and start-up and resident memory with
 * the million pins against a server with no pins. Prints one table, with each target and whether it
 * was met, and the load average and a yardstick (a fixed loop's time) for how busy the machine was.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { get } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCliServer } from '../test/support/cli-server.ts';
import { makeTempDir, removeDir } from '../test/support/temp.ts';
import { type LoadResult, runLoad } from './load.ts';
import { generateManyVersions, generateMonorepo, minimalRepo, nestedModuleDir, writePinRecord } from './scale-repos.ts';

const PROJECT = dirname(dirname(fileURLToPath(import.meta.url)));
const HOST = 'go.bench';
const MONO = `${HOST}/big/mono`;
const MANY = `${HOST}/big/many`;
const GROUPS = 200;
const CONCURRENCY = 16;

const quick = process.argv.includes('--quick');
const scale = quick ? 10 : 1;
const SIZES = {
  repositories: 20_000 / scale,
  modules: 200 / scale,
  tagsPerModule: 100,
  pulls: 20_000 / scale,
  versions: 300,
  pins: 1_000_000 / scale,
};
const DURATION_MS = quick ? 1000 : 3000;

/** One row of the report: what was measured, the figure, the target and whether it holds. */
interface Row {
  readonly what: string;
  readonly figure: string;
  readonly target: string;
  readonly met: boolean | undefined;
}

async function main(): Promise<void> {
  log('compiling lib/ (npm run build)');
  await exited(spawn('npm', ['run', '--silent', 'build'], { cwd: PROJECT, stdio: 'inherit' }), 'npm run build');
  const scratch = await makeTempDir('bench-scale');
  try {
    const repos = join(scratch, 'repos');
    log(
      `generating ${SIZES.repositories} repositories, the monorepo (${SIZES.modules} modules × ${SIZES.tagsPerModule} tags, ${SIZES.pulls} pull refs), ${SIZES.versions} versions`,
    );
    for (let i = 0; i < SIZES.repositories; i++) minimalRepo(join(repos, `group${i % GROUPS}`, `repo${i}.git`));
    await generateMonorepo(join(repos, 'big/mono.git'), MONO, SIZES);
    await generateManyVersions(join(repos, 'big/many.git'), MANY, SIZES.versions);
    const rows: Row[] = [];
    const server = await startServer(scratch, 'repos', repos);
    try {
      rows.push(
        row(
          'start-up, repositories found and listening',
          `${ms(server.startMs)} ms`,
          '≤ 2000 ms',
          server.startMs <= 2000,
        ),
      );
      rows.push(...(await measureRequests(server)));
      rows.push(
        row('server peak RSS (all of the above)', `${(await rssMB(server.pid, 'VmHWM')).toFixed(0)} MB`, '', undefined),
      );
    } finally {
      await server.stop();
    }
    log(`writing ${SIZES.pins} pins`);
    const dataDir = join(scratch, 'pins');
    await writePinRecord(dataDir, SIZES.pins, HOST);
    const unpinned = await startServer(scratch, 'no-pins', join(repos, 'big'));
    await unpinned.stop();
    rows.push(row('start-up with no pins (the baseline)', `${ms(unpinned.startMs)} ms`, '', undefined));
    const pinned = await startServer(scratch, 'pins', join(repos, 'big'), dataDir);
    try {
      const rss = await rssMB(pinned.pid, 'VmRSS');
      const pins = SIZES.pins.toLocaleString('en');
      const figure = `${ms(pinned.startMs)} ms (${ms(pinned.startMs - unpinned.startMs)} more)`;
      rows.push(row(`start-up with ${pins} pins`, figure, '≤ 3000 ms', pinned.startMs <= 3000));
      rows.push(
        row(
          `server RSS with ${pins} pins (peak)`,
          `${rss.toFixed(0)} MB (${(await rssMB(pinned.pid, 'VmHWM')).toFixed(0)})`,
          '≤ 300 MB',
          rss <= 300,
        ),
      );
    } finally {
      await pinned.stop();
    }
    printReport(rows);
  } finally {
    await removeDir(scratch);
  }
}

async function measureRequests(server: ServerProcess): Promise<Row[]> {
  const nested = `${MONO}/${nestedModuleDir(1)}`;
  const tagged = `/${nested}/@v/v1.50.0.info`;
  const first = await timed(() => fetchStatus(server.url + `/${MONO}/${nestedModuleDir(0)}/@v/v1.99.0.info`, 200));
  const rows = [
    row(
      `first request to the monorepo (${SIZES.modules * SIZES.tagsPerModule} tags, ${SIZES.pulls} pull refs)`,
      `${ms(first)} ms`,
      '≤ 150 ms',
      first <= 150,
    ),
  ];

  const known = `/${MANY}/@v/v1.10.0.info`;
  await fetchStatus(server.url + known, 200);
  const unknown = Array.from(
    { length: 1000 },
    (
      _,
      i,
    ) => (i % 2 === 0 ? `/${HOST}/group${i % GROUPS}/missing${i}/@v/list` : `/github.com/someone/module${i}/@v/list`),
  );
  // The known request's client in a process of its own: in this one its answers would also wait
  // for this process's event loop, busy with the 16 flooding clients. It starts once the flood
  // has, and the flood lasts a second longer than it.
  const child = await loadInChild(server.url, [known]);
  const flooding = runLoad({
    url: server.url,
    paths: unknown,
    concurrency: CONCURRENCY,
    durationMs: DURATION_MS + 1000,
    expectStatus: 404,
  });
  await new Promise((resolve) => setTimeout(resolve, 200));
  const [flooded, flood404s] = await Promise.all([child.run(), flooding]);
  if (flood404s.errors > 0) throw new Error(`${unknown[0]}: ${flood404s.firstError}`);
  const flood = `${flooded.maxMs.toFixed(1)} / ${flooded.p99Ms.toFixed(1)} ms`;
  rows.push(
    row(
      `known .info while ${CONCURRENCY} clients flood unknown modules: max / p99`,
      flood,
      '≤ 50 / ≤ 20 ms',
      flooded.maxMs <= 50 && flooded.p99Ms <= 20,
    ),
  );
  const [sameProcess] = await Promise.all([load([known], 1), load(unknown, CONCURRENCY, 404)]);
  rows.push(
    row(
      'the same, the known client in the flooding process: max / p99',
      `${sameProcess.maxMs.toFixed(1)} / ${sameProcess.p99Ms.toFixed(1)} ms`,
      '',
      undefined,
    ),
  );

  const baseline = await load([tagged], CONCURRENCY);
  rows.push(
    row(
      `tagged .info, ${CONCURRENCY} clients (the baseline)`,
      `${baseline.requestsPerSecond.toFixed(0)} req/s, p99 ${baseline.p99Ms.toFixed(1)} ms`,
      '',
      undefined,
    ),
  );
  const relative = async (what: string, path: string, status = 200): Promise<Row> => {
    await fetchStatus(server.url + path, status);
    const result = await load([path], CONCURRENCY, status);
    const ratio = result.requestsPerSecond / baseline.requestsPerSecond;
    return row(
      what,
      `${result.requestsPerSecond.toFixed(0)} req/s (${ratio.toFixed(2)}×), p99 ${result.p99Ms.toFixed(1)} ms`,
      '≥ 0.5×',
      ratio >= 0.5,
    );
  };
  rows.push(await relative('package-path probe (404)', `/${nested}/internal/pkg/@v/list`, 404));
  const probe = await load([`/${nested}/other/pkg/@v/list`], 1, 404);
  rows.push(
    row(
      'package-path probe, one client: p50 / p99',
      `${probe.p50Ms.toFixed(1)} / ${probe.p99Ms.toFixed(1)} ms`,
      '≤ 20 ms',
      probe.p99Ms <= 20,
    ),
  );
  rows.push(await relative('list of a nested module of the monorepo', `/${nested}/@v/list`));
  rows.push(await relative(`list of a module with ${SIZES.versions} versions`, `/${MANY}/@v/list`));
  for (
    const [what, path] of [
      ['@latest of a nested module', `/${nested}/@latest`],
      [`@latest of the ${SIZES.versions}-version module`, `/${MANY}/@latest`],
      ['main.info of the monorepo', `/${MONO}/@v/main.info`],
    ] as const
  ) {
    await fetchStatus(server.url + path, 200);
    const single = await load([path], 1);
    rows.push(
      row(
        `${what} after the first request, one client: p50 / p99`,
        `${single.p50Ms.toFixed(1)} / ${single.p99Ms.toFixed(1)} ms`,
        '≤ 20 ms',
        single.p99Ms <= 20,
      ),
    );
  }
  return rows;

  async function load(paths: string[], concurrency: number, expectStatus = 200): Promise<LoadResult> {
    const result = await runLoad({ url: server.url, paths, concurrency, durationMs: DURATION_MS, expectStatus });
    if (result.errors > 0) throw new Error(`${paths[0]}: ${result.firstError}`);
    return result;
  }
}

/** One client (`bench/load.ts` as a program) in a child process, ready: `run()` starts its load run and gives its result. */
async function loadInChild(url: string, paths: string[]): Promise<{ run(): Promise<LoadResult> }> {
  const options = { url, paths, concurrency: 1, durationMs: DURATION_MS };
  const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT, 'bench/load.ts'), JSON.stringify(options)], {
    cwd: PROJECT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const done = exited(child, 'bench/load.ts');
  let output = '';
  child.stdout.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: string) => {
      output += chunk;
      if (output.startsWith('ready\n')) resolve();
    });
    done.then(() => reject(new Error('bench/load.ts exited before it was ready')), reject);
  });
  return {
    run: async () => {
      child.stdin.end('go\n');
      await done;
      const result = JSON.parse(output.slice('ready\n'.length)) as LoadResult;
      if (result.errors > 0) throw new Error(`${paths[0]}: ${result.firstError}`);
      return result;
    },
  };
}

// ——— the server as a child process ———

interface ServerProcess {
  readonly url: string;
  readonly pid: number;
  /** From spawn to listening (the first scan of repositories and the pin record done). */
  readonly startMs: number;
  stop(): Promise<unknown>;
}

async function startServer(
  scratch: string,
  name: string,
  repos: string,
  dataDir = join(scratch, `data-${name}`),
): Promise<ServerProcess> {
  const config = join(scratch, `config-${name}.json`);
  writeFileSync(
    config,
    JSON.stringify({ repos, moduleHost: HOST, defaultVisibility: 'public', dataDir, logLevel: 'warn' }),
  );
  const started = performance.now();
  const server = await startCliServer(['--config', config], 'compiled');
  return { url: server.url, pid: server.child.pid!, startMs: performance.now() - started, stop: () => server.stop() };
}

/** VmRSS (now) or VmHWM (peak) of a process, in MB. */
async function rssMB(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number> {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(await readFile(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no ${field} in /proc/${pid}/status`);
  return (Number(match[1]) * 1024) / 1e6;
}

function fetchStatus(url: string, status: number): Promise<void> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      res.resume();
      res.once(
        'end',
        () => (res.statusCode === status
          ? resolve()
          : reject(new Error(`${url}: status ${res.statusCode}, expected ${status}`))),
      );
    }).once('error', reject);
  });
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
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

// ——— the report ———

function row(what: string, figure: string, target: string, met: boolean | undefined): Row {
  return { what, figure, target, met };
}

function printReport(rows: Row[]): void {
  const header = ['measured', 'figure', 'target', 'met'];
  const cells = rows.map((r) => [r.what, r.figure, r.target, r.met === undefined ? '' : r.met ? 'yes' : 'NO']);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => `| ${c.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  // The load average and a fixed loop's time say whether other work shared the machine meanwhile.
  const machine = `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown cpu'}), load average ${
    loadavg()[0]!.toFixed(1)
  }, yardstick ${yardstickMs()} ms`;
  process.stdout.write(
    `git-goproxy scale benchmark${quick ? ' (--quick)' : ''}, ${new Date().toISOString().slice(0, 10)}, ${machine}\n\n`,
  );
  process.stdout.write(
    `${[line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.map(line)].join('\n')}\n`,
  );
}

/** Milliseconds this process takes for 100,000,000 additions: a measure of how much CPU it gets. */
function yardstickMs(): string {
  const started = performance.now();
  let sum = 0;
  for (let i = 0; i < 1e8; i++) sum += i;
  return sum > 0 ? ms(performance.now() - started) : '';
}

function ms(value: number): string {
  return value.toFixed(0);
}

function log(message: string): void {
  process.stderr.write(`bench scale: ${message}\n`);
}

await main();
