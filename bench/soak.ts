/**
 * `npm run soak [-- --seconds=180 --concurrency=64 --zip-cache-mib=N]`: the load test of issue #7, on
 * loopback only (with `--zip-cache-mib`, the server runs with its zip cache on).
 *
 * The server runs as a child process (`node --import tsx lib/server.ts`) over generated
 * repositories. `concurrency` clients send mixed traffic (list, .info, .mod, .zip, @latest,
 * branch queries and requests for modules that do not exist), each on a fresh connection, and cut
 * a share of the zips off part-way. The run is bounded in time and in requests. It fails when:
 *
 * - an answer is a 5xx other than a 503 with Retry-After (the limiter turning work away);
 * - an answer is not the one it had when asked alone before the load (a zip's `h1:` included);
 * - a zip ends short without its connection failing (a short 200);
 * - the server's RSS, open descriptors or git children grow: the last third of the run is
 *   compared with the first third, and after the load children and descriptors must be back.
 *
 * Prints the figures and writes them to `bench/results/soak-<date>.json`, with the server's RSS over
 * the run as a chart in `soak-<date>.svg` (chart.ts).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { childProcessCount, openFdCount, residentBytes } from '../test/support/child-processes.ts';
import { type CliServer, startCliServer } from '../test/support/cli-server.ts';
import { createRepo } from '../test/support/git-fixture.ts';
import { fetchOnce, type FetchResult } from '../test/support/http-fetch.ts';
import { seededRandom } from '../test/support/random.ts';
import { makeTempDir, removeDir } from '../test/support/temp.ts';
import { zipHash } from '../test/support/zip-hash.ts';
import { rssOverTimeSvg } from './chart.ts';

const PROJECT = dirname(dirname(fileURLToPath(import.meta.url)));
const HOST = '127.0.0.1';
const MAX_REQUESTS = 2_000_000;
const SAMPLE_MS = 1000;
/** Share of zip downloads the client cuts off after a random number of bytes. */
const DISCONNECT_SHARE = 0.3;
/** Allowed growth of RSS from the first third of the run to the last (heap settles in rounds). */
const RSS_GROWTH_LIMIT = 1.25;
const SLACK_FDS = 8;
/** The soak's memory target (README "Performance"), drawn on its RSS chart. */
const SOAK_RSS_TARGET_MB = 150;

/** One request the soak may send, with what its answer must be. */
interface Probe {
  readonly kind: string;
  readonly path: string;
  /** The status, and for 200s the check of the body. */
  readonly status: number;
  readonly check?: (result: FetchResult) => boolean;
}

interface Sample {
  readonly atMs: number;
  readonly rssBytes: number;
  readonly fds: number;
  readonly gitChildren: number;
}

const options = parseArgs({
  options: {
    seconds: { type: 'string', default: process.env.SOAK_SECONDS ?? '180' },
    concurrency: { type: 'string', default: '64' },
    'zip-cache-mib': { type: 'string' },
  },
}).values;
const seconds = Number(options.seconds);
const concurrency = Number(options.concurrency);

const root = await makeTempDir('soak');
let server: CliServer | undefined;
try {
  const modules = await createModules(join(root, 'repos'));
  const cache = options['zip-cache-mib'] === undefined ? [] : ['--zip-cache-mib', options['zip-cache-mib']];
  // The soak's clients all come from one address: as many zips at once as it has clients.
  const streams = ['--zip-streams-per-client', String(concurrency)];
  server = await startCliServer([
    '--repos',
    join(root, 'repos'),
    '--module-host',
    HOST,
    '--data',
    join(root, 'data'),
    '--log-level',
    'error',
    ...cache,
    ...streams,
  ]);
  const probes = await referenceAnswers(server.url, modules);
  const report = await soak(server, probes);
  printReport(report);
  await saveReport(report);
  if (report.failures.length > 0) process.exitCode = 1;
} finally {
  await server?.stop();
  await removeDir(root);
}

// ——— repositories ———

/** Module paths with their canonical versions, in repositories with fixed dates. */
async function createModules(reposRoot: string): Promise<Map<string, string[]>> {
  const modules = new Map<string, string[]>();
  const random = seededRandom(7);
  const content = (bytes: number): string =>
    Array.from({ length: bytes / 8 }, () => random().toString(36).slice(2, 9)).join('\n');
  for (
    const [name, fileCount, fileBytes] of [['small', 5, 512], ['medium', 300, 4096], ['large', 2000, 8192]] as const
  ) {
    const repo = await createRepo(reposRoot, `soak/${name}`);
    const modulePath = `${HOST}/soak/${name}`;
    const versions: string[] = [];
    for (let release = 0; release < 3; release++) {
      const files: Record<string, string> = { 'go.mod': `module ${modulePath}\n\ngo 1.19\n` };
      for (let i = 0; i < fileCount; i++) {
        files[`pkg${i % 16}/f${i}.go`] = `package pkg${i % 16}\n\n// ${release}\n/*\n${content(fileBytes)}\n*/\n`;
      }
      await repo.commit(files, { date: `2024-0${release + 1}-01T00:00:00Z` });
      const version = `v1.${release}.0`;
      await repo.tag(version);
      versions.push(version);
    }
    modules.set(modulePath, versions);
  }
  return modules;
}

// ——— what each answer must be ———

/** Asks every request once, alone, and keeps its answer as the one the load must repeat. */
async function referenceAnswers(url: string, modules: Map<string, string[]>): Promise<Probe[]> {
  const probes: Probe[] = [];
  const reference = async (path: string): Promise<FetchResult> => {
    const result = await fetchOnce(url + path);
    if (result.status !== 200 || !result.complete) throw new Error(`${path}: ${result.status} before the load`);
    return result;
  };
  for (const [module, versions] of modules) {
    const base = `/${module}/@v`;
    const list = (await reference(`${base}/list`)).body.toString();
    probes.push({ kind: 'list', path: `${base}/list`, status: 200, check: (r) => r.body.toString() === list });
    const latest = (await reference(`/${module}/@latest`)).body.toString();
    probes.push({
      kind: 'latest',
      path: `/${module}/@latest`,
      status: 200,
      check: (r) => r.body.toString() === latest,
    });
    const branch = (await reference(`${base}/main.info`)).body.toString();
    probes.push({ kind: 'query', path: `${base}/main.info`, status: 200, check: (r) => r.body.toString() === branch });
    for (const version of versions) {
      const info = (await reference(`${base}/${version}.info`)).body.toString();
      probes.push({
        kind: 'info',
        path: `${base}/${version}.info`,
        status: 200,
        check: (r) => r.body.toString() === info,
      });
      const mod = (await reference(`${base}/${version}.mod`)).body.toString();
      probes.push({
        kind: 'mod',
        path: `${base}/${version}.mod`,
        status: 200,
        check: (r) => r.body.toString() === mod,
      });
      const h1 = zipHash((await reference(`${base}/${version}.zip`)).body);
      probes.push({ kind: 'zip', path: `${base}/${version}.zip`, status: 200, check: (r) => zipHash(r.body) === h1 });
    }
    probes.push({ kind: 'missing', path: `${base}/v9.9.9.info`, status: 404 });
  }
  probes.push({ kind: 'missing', path: `/${HOST}/soak/nothing/@v/list`, status: 404 });
  return probes;
}

// ——— the load ———

interface SoakReport {
  readonly seconds: number;
  readonly zipCacheMiB: string | undefined;
  readonly concurrency: number;
  readonly requests: number;
  readonly byKind: Record<string, number>;
  readonly statuses: Record<string, number>;
  readonly disconnects: number;
  readonly completedZips: number;
  readonly zipMegabytes: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly samples: Sample[];
  readonly before: Sample;
  readonly after: Sample;
  readonly failures: string[];
}

async function soak(server: CliServer, probes: readonly Probe[]): Promise<SoakReport> {
  const pid = server.child.pid!;
  const sample = (atMs: number): Sample => ({
    atMs,
    rssBytes: residentBytes(pid),
    fds: openFdCount(pid),
    gitChildren: childProcessCount('git', pid),
  });
  const before = sample(0);
  const failures: string[] = [];
  const fail = (what: string): void => {
    if (failures.length < 20) failures.push(what);
  };
  const byKind: Record<string, number> = {};
  const statuses: Record<string, number> = {};
  const latencies: number[] = [];
  let requests = 0;
  let disconnects = 0;
  let completedZips = 0;
  let zipBytes = 0;

  const started = performance.now();
  const deadline = started + seconds * 1000;
  const samples: Sample[] = [];
  const sampler = setInterval(() => samples.push(sample(performance.now() - started)), SAMPLE_MS);

  const client = async (seed: number): Promise<void> => {
    const random = seededRandom(seed);
    while (performance.now() < deadline && requests < MAX_REQUESTS) {
      requests++;
      const probe = probes[Math.floor(random() * probes.length)]!;
      const cutAt = probe.kind === 'zip' && random() < DISCONNECT_SHARE ? Math.floor(random() * 200_000) : undefined;
      const sent = performance.now();
      const result = await fetchOnce(server.url + probe.path, {
        onChunk: (_chunk, received) => (cutAt !== undefined && received > cutAt ? 'disconnect' : undefined),
      }).catch((error: Error) => {
        fail(`${probe.path}: ${error.message}`);
        return undefined;
      });
      if (result === undefined) continue;
      latencies.push(performance.now() - sent);
      byKind[probe.kind] = (byKind[probe.kind] ?? 0) + 1;
      statuses[result.status] = (statuses[result.status] ?? 0) + 1;
      if (cutAt !== undefined && !result.complete) {
        disconnects++;
        continue;
      }
      checkAnswer(probe, result, fail);
      if (probe.kind === 'zip' && result.status === 200) {
        completedZips++;
        zipBytes += result.body.length;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, i) => client(1000 + i)));
  clearInterval(sampler);

  // Idle git helpers (object readers) stop on their own timer; archives and descriptors must be back now.
  await sleep(2000);
  const after = sample(performance.now() - started);
  checkFlat(samples, before, after, pid, fail);
  latencies.sort((a, b) => a - b);
  const percentile = (p: number): number =>
    latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? NaN;
  return {
    seconds,
    zipCacheMiB: options['zip-cache-mib'],
    concurrency,
    requests,
    byKind,
    statuses,
    disconnects,
    completedZips,
    zipMegabytes: zipBytes / 1e6,
    p50Ms: percentile(0.5),
    p99Ms: percentile(0.99),
    samples,
    before,
    after,
    failures,
  };
}

function checkAnswer(probe: Probe, result: FetchResult, fail: (what: string) => void): void {
  if (result.status === 503) {
    if (result.headers['retry-after'] === undefined) fail(`${probe.path}: 503 without Retry-After`);
    return;
  }
  if (result.status !== probe.status) {
    return fail(`${probe.path}: ${result.status} ${result.body.toString().slice(0, 120)}`);
  }
  if (!result.complete) return fail(`${probe.path}: ${result.status} ended short (${result.body.length} bytes)`);
  if (probe.check !== undefined && !probe.check(result)) {
    fail(`${probe.path}: answer differs from the one before the load`);
  }
}

/** RSS, descriptors and git children must not grow over the run, and must be back after it. */
function checkFlat(
  samples: readonly Sample[],
  before: Sample,
  after: Sample,
  pid: number,
  fail: (what: string) => void,
): void {
  const third = Math.floor(samples.length / 3);
  if (third === 0) return fail('too short a run to compare its first and last thirds');
  const peak = (part: readonly Sample[], field: 'rssBytes' | 'fds' | 'gitChildren'): number =>
    Math.max(...part.map((s) => s[field]));
  const first = samples.slice(0, third);
  const last = samples.slice(-third);
  if (peak(last, 'rssBytes') > peak(first, 'rssBytes') * RSS_GROWTH_LIMIT) {
    fail(`RSS grew from ${mb(peak(first, 'rssBytes'))} MB to ${mb(peak(last, 'rssBytes'))} MB`);
  }
  if (peak(last, 'gitChildren') > peak(first, 'gitChildren')) {
    fail(`git children grew from ${peak(first, 'gitChildren')} to ${peak(last, 'gitChildren')}`);
  }
  if (childProcessCount('archive', pid) > 0) fail('a git archive is still running after the load');
  if (after.fds > before.fds + SLACK_FDS) fail(`descriptors: ${before.fds} before the load, ${after.fds} after it`);
}

// ——— output ———

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(0);
}

function printReport(report: SoakReport): void {
  const rss = report.samples.map((s) => s.rssBytes);
  const fds = report.samples.map((s) => s.fds);
  const git = report.samples.map((s) => s.gitChildren);
  const rows: Array<[string, string]> = [
    [
      'duration, concurrency',
      `${report.seconds} s, ${report.concurrency} clients, zip cache ${
        report.zipCacheMiB === undefined ? 'off' : `${report.zipCacheMiB} MiB`
      }`,
    ],
    ['requests (per second)', `${report.requests} (${(report.requests / report.seconds).toFixed(0)}/s)`],
    ['by kind', Object.entries(report.byKind).map(([kind, n]) => `${kind} ${n}`).join(', ')],
    ['statuses', Object.entries(report.statuses).map(([status, n]) => `${status}: ${n}`).join(', ')],
    [
      'zips: whole, cut off by the client',
      `${report.completedZips} (${report.zipMegabytes.toFixed(0)} MB), ${report.disconnects}`,
    ],
    ['latency p50 / p99', `${report.p50Ms.toFixed(1)} ms / ${report.p99Ms.toFixed(1)} ms`],
    [
      'server RSS before / min–max / after',
      `${mb(report.before.rssBytes)} / ${mb(Math.min(...rss))}–${mb(Math.max(...rss))} / ${
        mb(report.after.rssBytes)
      } MB`,
    ],
    ['open fds before / max / after', `${report.before.fds} / ${Math.max(...fds)} / ${report.after.fds}`],
    [
      'git children before / max / after',
      `${report.before.gitChildren} / ${Math.max(...git)} / ${report.after.gitChildren}`,
    ],
    ['failures', report.failures.length === 0 ? 'none' : report.failures.join('\n  ')],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  for (const [label, value] of rows) console.log(`${label.padEnd(width)}  ${value}`);
}

async function saveReport(report: SoakReport): Promise<void> {
  const dir = join(PROJECT, 'bench', 'results');
  await mkdir(dir, { recursive: true });
  const date = new Date().toISOString();
  const file = join(dir, `soak-${date.replace(/[:.]/g, '-')}`);
  await writeFile(`${file}.json`, `${JSON.stringify(report, null, 2)}\n`);
  const cache = report.zipCacheMiB === undefined ? 'zip cache off' : `zip cache ${report.zipCacheMiB} MiB`;
  const title = `Server RSS during the soak: ${report.seconds} s, concurrency ${report.concurrency}, ${cache} (${
    date.slice(0, 10)
  })`;
  await writeFile(`${file}.svg`, rssOverTimeSvg(title, report.samples, SOAK_RSS_TARGET_MB));
  console.log(`written to ${file}.json and ${file}.svg (the server's RSS over the run)`);
}
